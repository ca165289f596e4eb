"""Webhooks: subscriptions, signature checks, and every topic parsed from bodies the emulator really
delivers and from documented sample bodies."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from channels.adapters.base import EventKind, InvalidWebhook, MalformedWebhook, OrderStatus
from tests.channels.sandbox.shopify.support import SECRET, Receiver, subscribe

from .support import operations

FIXTURES = Path(__file__).parent / "fixtures"
TOPICS = ["ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_CANCELLED", "REFUNDS_CREATE", "INVENTORY_LEVELS_UPDATE"]


def _as_the_view_keeps_them(headers: dict[str, str]) -> dict[str, str]:
    """channels.webhooks keeps x-shopify-* and content-type, lower-cased."""
    return {k.lower(): v for k, v in headers.items() if k.lower().startswith(("x-shopify-", "content-type"))}


def _signed(body: bytes, topic: str, secret: str = SECRET, **extra: str) -> dict[str, str]:
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {"x-shopify-topic": topic, "x-shopify-hmac-sha256": signature, **extra}


def test_register_webhooks_subscribes_once_per_topic(adapter, shop, receiver):
    ids = adapter.register_webhooks(receiver.url)
    again = adapter.register_webhooks(receiver.url)

    assert len(ids) == 4 and again == ids
    subscriptions = shop.rest("GET", "webhooks.json").json()["webhooks"]
    assert sorted(s["topic"] for s in subscriptions) == sorted(
        ["orders/create", "orders/updated", "orders/cancelled", "refunds/create"]
    )
    assert {s["address"] for s in subscriptions} == {receiver.url}
    assert operations(shop)["webhookSubscriptionCreate"] == 4  # none the second time


def test_every_topic_the_emulator_sends_verifies_and_parses(adapter, shop, receiver: Receiver):
    adapter.register_webhooks(receiver.url)
    # Topics the hub does not subscribe to by default still verify and parse, should an admin add them.
    for topic in ("ORDERS_PAID", "ORDERS_FULFILLED", "INVENTORY_LEVELS_UPDATE"):
        subscribe(shop, topic, receiver.url)
    order = shop.order(("RACK-SHOE-3T", 2), ("HAMPER-BAMB", 1)).json()["order"]
    fulfillment_order = shop.rest("GET", f"orders/{order['id']}/fulfillment_orders.json").json()[
        "fulfillment_orders"
    ][0]
    shop.rest(
        "POST",
        "fulfillments.json",
        json={
            "fulfillment": {
                "line_items_by_fulfillment_order": [{"fulfillment_order_id": fulfillment_order["id"]}]
            }
        },
    )
    second = shop.order(("VASE-GLASS-25", 1)).json()["order"]
    shop.rest("POST", f"orders/{second['id']}/cancel.json", json={})
    shop.control("POST", "inventory", json={"sku": "VASE-GLASS-25", "available": 3})
    shop.flush()
    deliveries = receiver.wait_for(14)

    events = {}
    for delivery in deliveries:
        headers = _as_the_view_keeps_them(delivery["headers"])
        verified = adapter.verify_webhook(headers, delivery["body"])
        assert verified.delivery_key == delivery["headers"]["X-Shopify-Event-Id"]
        assert verified.topic == delivery["headers"]["X-Shopify-Topic"]
        (event,) = adapter.parse_webhook(headers, delivery["body"])
        events.setdefault(verified.topic, []).append(event)

    assert set(events) == {
        "orders/create",
        "orders/paid",
        "orders/fulfilled",
        "orders/updated",
        "orders/cancelled",
        "refunds/create",
        "inventory_levels/update",
    }
    created = next(e for e in events["orders/create"] if e.external_id == str(order["id"]))
    assert created.kind == EventKind.ORDER and created.order is not None
    assert created.order.external_id == str(order["id"]) and created.external_id == str(order["id"])
    assert [(line.sku, line.quantity) for line in created.order.lines] == [
        ("RACK-SHOE-3T", 2),
        ("HAMPER-BAMB", 1),
    ]
    assert events["orders/fulfilled"][0].order.status == OrderStatus.FULFILLED
    cancelled = events["orders/cancelled"][0].order
    assert cancelled.status == OrderStatus.CANCELLED
    assert [line.refunded_quantity for line in cancelled.lines] == [1]
    refund = events["refunds/create"][0]
    assert (refund.kind, refund.external_id, refund.order) == (
        EventKind.ORDER_REFRESH,
        str(second["id"]),
        None,
    )
    levels = events["inventory_levels/update"]
    assert {e.kind for e in levels} == {EventKind.INVENTORY_LEVEL}
    vase_item = f"gid://shopify/InventoryItem/{shop.variant('VASE-GLASS-25')['inventory_item_id']}"
    # Sale, restock on cancel, the merchant's edit: delivered by parallel senders, in any order.
    vase = [e for e in levels if e.inventory_item_id == vase_item]
    assert sorted(e.quantity for e in vase) == [3, 65, 66]
    assert {e.location_id for e in vase} == {shop.location_gid()}
    assert all(e.occurred_at is not None and e.occurred_at.tzinfo is not None for e in vase)


def test_documented_sample_bodies_parse(adapter):
    body = (FIXTURES / "orders_create.json").read_bytes()
    (event,) = adapter.parse_webhook(_signed(body, "orders/create"), body)
    order = event.order
    assert order.external_id == "820982911946154508"  # beyond 2**53, kept exact
    assert order.number == "#9999"
    assert order.created_at == datetime(2022, 1, 1, 0, 0, tzinfo=UTC)
    assert order.customer_name == "John Smith"
    assert [line.listing_external_id for line in order.lines] == ["808950810", "808950810"]

    body = (FIXTURES / "orders_cancelled.json").read_bytes()
    (event,) = adapter.parse_webhook(_signed(body, "orders/cancelled"), body)
    assert event.order.status == OrderStatus.CANCELLED
    custom = event.order.lines[1]
    assert (custom.sku, custom.listing_external_id, custom.refunded_quantity) == ("", "", 2)

    body = (FIXTURES / "refunds_create.json").read_bytes()
    (event,) = adapter.parse_webhook(_signed(body, "refunds/create"), body)
    assert (event.kind, event.external_id) == (EventKind.ORDER_REFRESH, "820982911946154508")

    body = (FIXTURES / "inventory_levels_update.json").read_bytes()
    (event,) = adapter.parse_webhook(_signed(body, "inventory_levels/update"), body)
    assert event.inventory_item_id == "gid://shopify/InventoryItem/271878346596884015"
    assert event.location_id == "gid://shopify/Location/24826418"
    assert event.quantity is None  # untracked: nothing to note


def test_signatures_are_checked(adapter):
    body = (FIXTURES / "refunds_create.json").read_bytes()
    good = _signed(body, "refunds/create", **{"x-shopify-webhook-id": "w-1"})

    assert adapter.verify_webhook(good, body).delivery_key == "w-1"  # no event id: the webhook id
    assert adapter.verify_webhook({k.upper(): v for k, v in good.items()}, body).topic == "refunds/create"
    with pytest.raises(InvalidWebhook):
        adapter.verify_webhook(_signed(body, "refunds/create", secret="someone-else"), body)
    with pytest.raises(InvalidWebhook):
        adapter.verify_webhook(good, body.replace(b"damaged", b"fine!!!"))
    with pytest.raises(InvalidWebhook):
        adapter.verify_webhook({"x-shopify-topic": "refunds/create"}, body)
    with pytest.raises(InvalidWebhook):
        adapter.verify_webhook({**good, "x-shopify-hmac-sha256": "not base64 é"}, body)


def test_without_a_secret_nothing_verifies(make_adapter):
    adapter = make_adapter(secret="")
    body = b"{}"
    with pytest.raises(InvalidWebhook):
        adapter.verify_webhook(_signed(body, "orders/create"), body)


def test_bodies_that_cannot_be_read_are_malformed(adapter):
    with pytest.raises(MalformedWebhook) as caught:
        adapter.parse_webhook(_signed(b"{not json", "orders/create"), b"{not json")
    assert caught.value.raw == "{not json"

    body = json.dumps({"id": 1}).encode()
    with pytest.raises(MalformedWebhook) as caught:
        adapter.parse_webhook(_signed(body, "products/update"), body)
    assert "products/update" in str(caught.value)

    with pytest.raises(MalformedWebhook):
        adapter.parse_webhook(_signed(body, "orders/create"), body)  # no line items
    with pytest.raises(MalformedWebhook):
        adapter.parse_webhook(_signed(b"[1, 2]", "orders/create"), b"[1, 2]")
    bad_level = json.dumps({"inventory_item_id": "x", "location_id": 1, "available": 3}).encode()
    with pytest.raises(MalformedWebhook):
        adapter.parse_webhook(_signed(bad_level, "inventory_levels/update"), bad_level)
