"""Webhooks: registration, verification of what the emulator really sends (signed deliveries and
the unsigned creation ping), de-duplication keys, and parsing into the hub's events."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

from channels.adapters.base import (
    EventKind,
    InvalidWebhook,
    MalformedWebhook,
    OrderStatus,
    PermanentChannelError,
    WebhookDelivery,
)
from channels.adapters.woocommerce.adapter import WEBHOOK_TOPICS

from .conftest import WEBHOOK_SECRET
from .support import calls, place


def _sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _by_topic(receiver) -> dict[str, list]:
    grouped: dict[str, list] = {}
    for delivery in receiver.deliveries():
        grouped.setdefault(delivery.headers["x-wc-webhook-topic"], []).append(delivery)
    return grouped


# -- registration --------------------------------------------------------------------------------


def test_register_webhooks_subscribes_each_topic_once(adapter, shop, receiver):
    ids = adapter.register_webhooks(receiver.url)

    hooks = shop.control("GET", "/subscriptions").json()["webhooks"]
    assert [(h["topic"], h["status"], h["delivery_url"]) for h in hooks] == [
        (topic, "active", receiver.url) for topic in WEBHOOK_TOPICS
    ]
    assert ids == [str(h["id"]) for h in hooks]
    assert adapter.register_webhooks(receiver.url) == ids  # nothing new the second time
    assert calls(shop)["webhooks.create"] == 5
    assert len(receiver.wait_for(5)) == 5  # one creation ping each


def test_register_webhooks_switches_a_disabled_one_back_on_with_the_hubs_secret(adapter, shop, receiver):
    ids = adapter.register_webhooks(receiver.url)
    order_hook = ids[WEBHOOK_TOPICS.index("order.created")]
    shop.put(f"/webhooks/{order_hook}", {"status": "disabled", "secret": "something-else"})

    assert adapter.register_webhooks(receiver.url) == ids

    assert {h["status"] for h in shop.control("GET", "/subscriptions").json()["webhooks"]} == {"active"}
    place(shop, ("BIN-LG-001", 1))
    shop.flush()
    created = _by_topic(receiver)["order.created"]
    assert adapter.verify_webhook(created[0].headers, created[0].body).topic == "order.created"


def test_register_webhooks_needs_a_secret(make_adapter, shop, receiver):
    with pytest.raises(PermanentChannelError, match="webhook secret"):
        make_adapter(webhook_secret="").register_webhooks(receiver.url)
    assert shop.control("GET", "/subscriptions").json()["webhooks"] == []


# -- verification --------------------------------------------------------------------------------


def test_the_unsigned_creation_ping_is_accepted_and_changes_nothing(adapter, shop, receiver):
    ids = adapter.register_webhooks(receiver.url)
    pings = receiver.wait_for(5)

    for ping, hook_id in zip(pings, ids, strict=True):
        assert "x-wc-webhook-signature" not in ping.headers  # as WooCommerce sends it
        assert adapter.verify_webhook(ping.headers, ping.body) == WebhookDelivery(f"ping-{hook_id}", "ping")
        events = adapter.parse_webhook(ping.headers, ping.body)
        assert [(e.kind, e.topic, e.external_id) for e in events] == [(EventKind.PING, "ping", hook_id)]


def test_a_signed_ping_is_fine_too(adapter):
    body = b"webhook_id=42"

    delivery = adapter.verify_webhook({"X-WC-Webhook-Signature": _sign(body)}, body)

    assert delivery == WebhookDelivery("ping-42", "ping")


@pytest.mark.parametrize(
    "body",
    [b"webhook_id=42&topic=order.created", b"webhook_id=", b'{"webhook_id": 42}', b"webhook_id=42\n"],
)
def test_anything_else_unsigned_is_refused(adapter, body):
    with pytest.raises(InvalidWebhook, match="missing"):
        adapter.verify_webhook({"user-agent": "WooCommerce/9.9.5 Hookshot (WordPress/6.8.2)"}, body)


def test_real_deliveries_verify_and_forgeries_do_not(adapter, make_adapter, shop, receiver):
    adapter.register_webhooks(receiver.url)
    place(shop, ("BIN-LG-001", 1))
    shop.flush()
    delivery = _by_topic(receiver)["order.created"][0]
    upper = {k.upper(): v for k, v in delivery.headers.items()}

    verified = adapter.verify_webhook(upper, delivery.body)

    digest = hashlib.sha256(delivery.body).hexdigest()[:32]
    assert verified == WebhookDelivery(
        f"{delivery.headers['x-wc-webhook-delivery-id']}:{digest}", "order.created"
    )
    with pytest.raises(InvalidWebhook, match="does not match"):
        adapter.verify_webhook(delivery.headers, delivery.body.replace(b'"quantity":1', b'"quantity":9'))
    with pytest.raises(InvalidWebhook, match="does not match"):
        adapter.verify_webhook({**delivery.headers, "x-wc-webhook-signature": _sign(b"other")}, delivery.body)
    unsigned = {k: v for k, v in delivery.headers.items() if k != "x-wc-webhook-signature"}
    with pytest.raises(InvalidWebhook, match="missing"):
        adapter.verify_webhook(unsigned, delivery.body)
    with pytest.raises(InvalidWebhook, match="does not match"):
        make_adapter(webhook_secret="another-secret").verify_webhook(delivery.headers, delivery.body)


def test_two_events_in_one_second_share_woocommerces_delivery_id_but_not_the_key(adapter, shop, receiver):
    adapter.register_webhooks(receiver.url)
    orders = [{"set_paid": True, "line_items": [{"sku": "BIN-SM-003", "quantity": 1}]} for _ in range(2)]
    assert shop.post("/orders/batch", {"create": orders}).status_code == 200
    shop.flush()

    first, second = _by_topic(receiver)["order.created"]

    assert first.headers["x-wc-webhook-delivery-id"] == second.headers["x-wc-webhook-delivery-id"]
    keys = {adapter.verify_webhook(d.headers, d.body).delivery_key for d in (first, second)}
    assert len(keys) == 2  # both reach the inbox; neither is taken for the other's duplicate


def test_a_resent_delivery_keeps_its_key(adapter, shop, receiver):
    adapter.register_webhooks(receiver.url)
    shop.knobs(webhook_duplicate_rate=1.0, seed=3)
    place(shop, ("BIN-SM-003", 1))
    time.sleep(0.3)  # the twin is sent up to 200 ms after the first, from the dispatcher's thread
    shop.flush()

    twins = _by_topic(receiver)["order.created"]

    assert len(twins) == 2
    assert len({adapter.verify_webhook(d.headers, d.body).delivery_key for d in twins}) == 1


# -- parsing -------------------------------------------------------------------------------------


def test_an_order_delivery_becomes_the_order_snapshot(adapter, shop, receiver):
    adapter.register_webhooks(receiver.url)
    placed = place(shop, ("TSHIRT-S", 2), ("SAMPLE-BIN", 1))
    shop.flush()

    for topic in ("order.created", "order.updated"):
        delivery = _by_topic(receiver)[topic][0]
        (event,) = adapter.parse_webhook(delivery.headers, delivery.body)
        assert (event.kind, event.topic, event.external_id) == (EventKind.ORDER, topic, str(placed["id"]))
        assert event.order is not None and event.order.status == OrderStatus.OPEN
        assert [(line.sku, line.quantity) for line in event.order.lines] == [
            ("TSHIRT-S", 2),
            ("SAMPLE-BIN", 1),
        ]
        assert event.occurred_at == event.order.updated_at


def test_product_deliveries_become_listing_snapshots(adapter, shop, receiver):
    adapter.register_webhooks(receiver.url)
    # The hub subscribes to product.created only (product.updated fires for every sale); an admin
    # may add product.updated, and its deliveries parse just as well.
    shop.post(
        "/webhooks",
        {"topic": "product.updated", "delivery_url": receiver.url, "secret": adapter.config.webhook_secret},
    )
    shirt = shop.by_sku()["TSHIRT-S"]
    place(shop, ("TSHIRT-S", 2), ("SAMPLE-BIN", 1))
    shop.flush()
    bodies = {json.loads(d.body)["id"]: d for d in _by_topic(receiver)["product.updated"]}
    assert set(bodies) == {shirt["variation_id"], shirt["product_id"], 10}

    def listings(product_id):
        (event,) = adapter.parse_webhook(bodies[product_id].headers, bodies[product_id].body)
        assert (event.kind, event.external_id) == (EventKind.LISTING, str(product_id))
        return [(x.external_id, x.sku, x.quantity) for x in event.listings]

    pair = f"{shirt['product_id']}:{shirt['variation_id']}"
    assert listings(shirt["variation_id"]) == [(pair, "TSHIRT-S", 78)]  # product-shaped variation
    parent = listings(shirt["product_id"])  # the variable parent: its variations, read fresh
    assert [sku for _, sku, _ in parent] == ["TSHIRT-S", "TSHIRT-M", "TSHIRT-L"]
    assert parent[0] == (pair, "TSHIRT-S", 78)
    assert listings(10) == [("10", "SAMPLE-BIN", 3899)]


def test_an_order_deletion_and_a_restore(adapter, shop, receiver):
    adapter.register_webhooks(receiver.url)
    placed = place(shop, ("BIN-MD-002", 1))
    shop.delete(f"/orders/{placed['id']}")
    shop.flush()
    deleted = _by_topic(receiver)["order.deleted"][0]
    created = _by_topic(receiver)["order.created"][0]

    (gone,) = adapter.parse_webhook(deleted.headers, deleted.body)
    restored_headers = {**created.headers, "x-wc-webhook-topic": "order.restored"}
    (back,) = adapter.parse_webhook(restored_headers, created.body)

    assert (gone.kind, gone.external_id) == (EventKind.ORDER_DELETED, str(placed["id"]))
    assert (back.kind, back.external_id) == (EventKind.ORDER, str(placed["id"]))


@pytest.mark.parametrize(
    ("topic", "body", "message"),
    [
        ("order.updated", b"<html>not json</html>", "not JSON"),
        ("order.updated", b"[1, 2]", "not a JSON object"),
        ("order.updated", b'{"status": "processing"}', "cannot be read"),
        ("product.updated", b'{"name": "no id"}', "cannot be read"),
        ("coupon.created", b'{"id": 5}', "does not handle"),
        ("", b'{"id": 5}', "does not handle"),
    ],
)
def test_bodies_that_cannot_be_understood_are_malformed(adapter, topic, body, message):
    headers = {"x-wc-webhook-topic": topic, "x-wc-webhook-signature": _sign(body)}
    adapter.verify_webhook(headers, body)

    with pytest.raises(MalformedWebhook, match=message) as caught:
        adapter.parse_webhook(headers, body)

    if message != "does not handle":
        assert caught.value.raw == body.decode()
