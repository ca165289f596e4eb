"""Webhook deliveries: real signatures checked independently, Shopify's headers, duplicates and
retries sharing one event id, reordering and drops, and subscription management."""

from __future__ import annotations

import base64
import hashlib
import hmac

from .support import SECRET, SET_QUANTITIES, VERSION, Receiver, subscribe


def _signature(body: bytes) -> str:
    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


def test_an_order_sends_signed_order_and_inventory_webhooks(shop, receiver: Receiver):
    for topic in ("ORDERS_CREATE", "ORDERS_PAID", "INVENTORY_LEVELS_UPDATE"):
        subscribe(shop, topic, receiver.url)
    order = shop.order(("CANDLE-SOY-01", 2)).json()["order"]
    deliveries = receiver.wait_for(3)
    assert sorted(d["headers"]["X-Shopify-Topic"] for d in deliveries) == [
        "inventory_levels/update",
        "orders/create",
        "orders/paid",
    ]
    for delivery in deliveries:
        headers = delivery["headers"]
        assert headers["X-Shopify-Hmac-Sha256"] == _signature(delivery["body"])
        assert headers["X-Shopify-Shop-Domain"] == "sandbox-shop.myshopify.com"
        assert headers["X-Shopify-API-Version"] == VERSION
        assert headers["Content-Type"] == "application/json"
        assert headers["X-Shopify-Webhook-Id"] and headers["X-Shopify-Triggered-At"]
    created = next(d for d in deliveries if d["headers"]["X-Shopify-Topic"] == "orders/create")
    assert Receiver.json(created)["id"] == order["id"]
    assert Receiver.json(created)["line_items"][0]["sku"] == "CANDLE-SOY-01"
    level = Receiver.json(
        next(d for d in deliveries if d["headers"]["X-Shopify-Topic"] == "inventory_levels/update")
    )
    assert level["available"] == 33
    assert level["inventory_item_id"] == shop.variant("CANDLE-SOY-01")["inventory_item_id"]
    assert level["admin_graphql_api_id"].startswith("gid://shopify/InventoryLevel/")
    assert len({d["headers"]["X-Shopify-Event-Id"] for d in deliveries}) == 3


def test_cancel_refund_and_manual_edits_fire_their_topics(shop, receiver: Receiver):
    for topic in ("ORDERS_CANCELLED", "ORDERS_UPDATED", "REFUNDS_CREATE", "INVENTORY_LEVELS_UPDATE"):
        subscribe(shop, topic, receiver.url)
    order = shop.order(("VASE-GLASS-25", 1)).json()["order"]
    shop.rest("POST", f"orders/{order['id']}/cancel.json", json={})
    shop.control("POST", "inventory", json={"sku": "VASE-GLASS-25", "available": 3})
    shop.flush()
    topics = [d["headers"]["X-Shopify-Topic"] for d in receiver.wait_for(6)]
    assert topics.count("orders/cancelled") == 1
    assert topics.count("refunds/create") == 1
    assert topics.count("orders/updated") == 1
    assert topics.count("inventory_levels/update") == 3  # the sale, the restock, the merchant's edit
    # Deliveries go out from several threads, as Shopify's do: their order is not guaranteed.
    levels = [Receiver.json(d)["available"] for d in receiver.ok("inventory_levels/update")]
    assert 3 in levels


def test_a_failing_receiver_gets_retries_with_the_same_event_id(shop, receiver: Receiver):
    subscribe(shop, "INVENTORY_LEVELS_UPDATE", receiver.url)
    receiver.fail_next(1)
    shop.control("POST", "inventory", json={"sku": "SAMPLE-BIN", "available": 10})
    attempts = receiver.wait_for(2, timeout=5)
    assert [a["status"] for a in attempts] == [500, 200]
    assert attempts[0]["headers"]["X-Shopify-Event-Id"] == attempts[1]["headers"]["X-Shopify-Event-Id"]
    assert attempts[0]["headers"]["X-Shopify-Webhook-Id"] == attempts[1]["headers"]["X-Shopify-Webhook-Id"]
    assert attempts[0]["body"] == attempts[1]["body"]


def test_duplicate_knob_sends_twice_with_one_event_id(shop, receiver: Receiver):
    subscribe(shop, "INVENTORY_LEVELS_UPDATE", receiver.url)
    shop.knobs(webhook_duplicate_rate=1.0, webhook_reorder_window_ms=20)
    shop.control("POST", "inventory", json={"sku": "SAMPLE-BIN", "available": 11})
    copies = receiver.wait_for(2)
    assert len(copies) == 2
    assert copies[0]["headers"]["X-Shopify-Event-Id"] == copies[1]["headers"]["X-Shopify-Event-Id"]
    assert shop.state()["webhooks"]["duplicated"] == 1


def test_reorder_knob_shuffles_but_delivers_everything(shop, receiver: Receiver):
    subscribe(shop, "INVENTORY_LEVELS_UPDATE", receiver.url)
    shop.knobs(webhook_reorder=True, webhook_reorder_window_ms=100, seed=7)
    for available in range(1, 9):
        shop.control("POST", "inventory", json={"sku": "SAMPLE-BIN", "available": available})
    received = [Receiver.json(d)["available"] for d in receiver.wait_for(8)]
    assert sorted(received) == list(range(1, 9))


def test_drop_knob_loses_deliveries(shop, receiver: Receiver):
    subscribe(shop, "INVENTORY_LEVELS_UPDATE", receiver.url)
    shop.knobs(webhook_drop_rate=1.0)
    shop.control("POST", "inventory", json={"sku": "SAMPLE-BIN", "available": 5})
    shop.flush()
    assert receiver.received == []
    assert shop.state()["webhooks"]["dropped"] == 1


def test_subscriptions_through_graphql_and_rest(shop, receiver: Receiver):
    created = subscribe(shop, "ORDERS_CREATE", receiver.url)
    assert created["topic"] == "ORDERS_CREATE" and created["uri"] == receiver.url
    duplicate = shop.data(
        """mutation($uri: String!) { webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: {uri: $uri}) {
          webhookSubscription { id } userErrors { field message } } }""",
        {"uri": receiver.url},
    )["webhookSubscriptionCreate"]
    assert duplicate["userErrors"] == [
        {
            "field": ["webhookSubscription", "callbackUrl"],
            "message": "Address for this topic has already been taken",
        }
    ]
    bad = shop.data(
        'mutation { webhookSubscriptionCreate(topic: ORDERS_PAID, webhookSubscription: {uri: "ftp://x"}) '
        "{ userErrors { message } } }"
    )["webhookSubscriptionCreate"]
    assert bad["userErrors"][0]["message"] == "Address protocol ftp:// is not supported"

    rest = shop.rest(
        "POST", "webhooks.json", json={"webhook": {"topic": "refunds/create", "address": receiver.url}}
    )
    assert rest.status_code == 201
    assert rest.json()["webhook"]["api_version"] == VERSION
    listed = shop.data("{ webhookSubscriptions(first: 10) { nodes { id topic } } }")["webhookSubscriptions"][
        "nodes"
    ]
    assert [n["topic"] for n in listed] == ["ORDERS_CREATE", "REFUNDS_CREATE"]
    assert len(shop.rest("GET", "webhooks.json").json()["webhooks"]) == 2

    deleted = shop.data(
        "mutation($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { message } } }",
        {"id": created["id"]},
    )["webhookSubscriptionDelete"]
    assert deleted == {"deletedWebhookSubscriptionId": created["id"], "userErrors": []}
    assert shop.rest("DELETE", f"webhooks/{rest.json()['webhook']['id']}.json").status_code == 200
    shop.order(("SAMPLE-BIN", 1))
    shop.flush()
    assert receiver.received == []
    invalid = shop.rest(
        "POST", "webhooks.json", json={"webhook": {"topic": "orders/bogus", "address": receiver.url}}
    )
    assert invalid.status_code == 422


def test_the_apps_own_stock_writes_are_echoed_as_webhooks(shop, receiver: Receiver):
    subscribe(shop, "INVENTORY_LEVELS_UPDATE", receiver.url)
    row = {
        "inventoryItemId": shop.item_gid("ORG-TRAY-L"),
        "locationId": shop.location_gid(),
        "quantity": 99,
        "changeFromQuantity": 120,
    }
    body = {"name": "available", "reason": "correction", "quantities": [row]}
    shop.data(SET_QUANTITIES, {"input": body, "key": "echo"})
    (delivery,) = receiver.wait_for(1)
    assert Receiver.json(delivery)["available"] == 99
