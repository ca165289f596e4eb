"""Webhooks: the creation ping, signed deliveries (checked here with our own HMAC), no retries,
auto-disable after repeated failures, and the duplicate/reorder/drop knobs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

SECRET = "whsec-for-tests"


def subscribe(shop, receiver, topic: str, secret: str = SECRET) -> dict:
    answer = shop.post(
        "/webhooks", {"name": topic, "topic": topic, "delivery_url": receiver.url, "secret": secret}
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def signed_by(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_creation_pings_with_a_form_body_and_no_signature(shop, receiver):
    hook = subscribe(shop, receiver, "order.created")
    ping = receiver.wait_for(1)[0]  # sent before the API answered
    assert ping.body == f"webhook_id={hook['id']}".encode()
    assert ping.headers["content-type"] == "application/x-www-form-urlencoded"
    assert (
        ping.headers["user-agent"].startswith("WooCommerce/")
        and "Hookshot (WordPress/" in ping.headers["user-agent"]
    )
    assert "x-wc-webhook-signature" not in ping.headers
    assert (
        hook["secret"] == SECRET and hook["status"] == "active" and hook["hooks"] == ["woocommerce_new_order"]
    )
    assert "secret" not in shop.get(f"/webhooks/{hook['id']}").json()
    assert [h["id"] for h in shop.get("/webhooks").json()] == [hook["id"]]


def test_deliveries_are_signed_rest_json_with_woocommerces_headers(shop, receiver):
    hook = subscribe(shop, receiver, "product.updated")
    shop.put("/products/10", {"stock_quantity": 77})
    shop.flush()
    (delivery,) = receiver.deliveries()
    assert delivery.headers["x-wc-webhook-signature"] == signed_by(SECRET, delivery.body)
    assert delivery.headers["x-wc-webhook-topic"] == "product.updated"
    assert delivery.headers["x-wc-webhook-resource"] == "product"
    assert delivery.headers["x-wc-webhook-event"] == "updated"
    assert delivery.headers["x-wc-webhook-id"] == str(hook["id"])
    assert delivery.headers["x-wc-webhook-source"] == f"{shop.url}/"
    assert len(delivery.headers["x-wc-webhook-delivery-id"]) == 32
    assert delivery.headers["content-type"] == "application/json"
    assert b'"permalink":"http:\\/\\/' in delivery.body  # wp_json_encode escapes slashes
    payload = json.loads(delivery.body)
    assert (payload["id"], payload["sku"], payload["stock_quantity"]) == (10, "SAMPLE-BIN", 77)
    assert payload == shop.get("/products/10").json()


def test_an_order_fires_order_and_product_topics_for_the_variation_and_its_parent(shop, receiver):
    for topic in ("order.created", "order.updated", "product.updated", "order.deleted"):
        subscribe(shop, receiver, topic)
    shirt = shop.by_sku()["TSHIRT-S"]
    placed = shop.control("POST", "/orders", {"lines": [{"sku": "TSHIRT-S", "quantity": 2}]}).json()
    shop.delete(f"/orders/{placed['id']}")
    shop.flush()
    seen = sorted((d.headers["x-wc-webhook-topic"], json.loads(d.body)["id"]) for d in receiver.deliveries())
    assert seen == sorted(
        [
            ("order.created", placed["id"]),
            ("order.updated", placed["id"]),
            ("product.updated", shirt["variation_id"]),
            ("product.updated", shirt["product_id"]),
            ("order.deleted", placed["id"]),
        ]
    )
    deleted = next(d for d in receiver.deliveries() if d.headers["x-wc-webhook-topic"] == "order.deleted")
    assert json.loads(deleted.body) == {"id": placed["id"]}
    variation = next(
        json.loads(d.body) for d in receiver.deliveries() if json.loads(d.body)["id"] == shirt["variation_id"]
    )
    assert (variation["type"], variation["stock_quantity"]) == ("variation", 78)


def test_a_failed_delivery_is_never_retried(shop, receiver):
    subscribe(shop, receiver, "product.updated")
    receiver.status = 500
    shop.put("/products/10", {"stock_quantity": 5})
    shop.flush()
    time.sleep(0.3)
    assert len(receiver.deliveries()) == 1
    (hook,) = shop.control("GET", "/subscriptions").json()["webhooks"]
    assert (hook["status"], hook["failure_count"]) == ("active", 1)
    assert shop.state()["webhooks"]["failed_attempts"] == 1


def test_the_webhook_is_disabled_after_more_than_five_consecutive_failures(shop, receiver):
    hook = subscribe(shop, receiver, "product.updated")
    receiver.status = 503

    def change(quantity: int) -> dict:
        shop.put("/products/10", {"stock_quantity": quantity})
        shop.flush()
        return shop.control("GET", "/subscriptions").json()["webhooks"][0]

    for n in range(1, 4):
        assert change(n)["failure_count"] == n
    receiver.status = 200
    assert change(10)["failure_count"] == 0  # a success resets the count
    receiver.status = 503
    for n in range(1, 7):
        assert change(n)["failure_count"] == n
    assert shop.get(f"/webhooks/{hook['id']}").json()["status"] == "active"
    assert change(7)["status"] == "disabled"  # the 7th failure: more than 5 already counted
    delivered = len(receiver.deliveries())
    assert change(8)["status"] == "disabled"
    assert len(receiver.deliveries()) == delivered  # a disabled webhook sends nothing


def test_webhook_knobs_duplicate_reorder_and_drop(shop, receiver):
    subscribe(shop, receiver, "product.updated")
    shop.knobs(webhook_duplicate_rate=1.0, seed=7)
    shop.put("/products/10", {"stock_quantity": 1})
    shop.flush()
    time.sleep(0.2)
    twins = receiver.deliveries()
    assert len(twins) == 2 and twins[0].body == twins[1].body
    assert twins[0].headers["x-wc-webhook-delivery-id"] == twins[1].headers["x-wc-webhook-delivery-id"]

    shop.knobs(webhook_duplicate_rate=0.0, webhook_drop_rate=1.0)
    shop.put("/products/10", {"stock_quantity": 2})
    shop.flush()
    assert len(receiver.deliveries()) == 2
    assert shop.state()["webhooks"]["dropped"] == 1

    shop.knobs(webhook_drop_rate=0.0, webhook_reorder=True, webhook_reorder_window_ms=300)
    ids = [p["id"] for p in shop.get("/products", params={"per_page": 12}).json() if p["type"] == "simple"]
    for quantity, product_id in enumerate(ids):
        shop.put(f"/products/{product_id}", {"stock_quantity": quantity})
    time.sleep(0.4)
    shop.flush()
    arrived = [json.loads(d.body)["id"] for d in receiver.deliveries()[2:]]
    assert sorted(arrived) == sorted(ids)
    assert arrived != ids  # shuffled within the window


def test_webhook_api_errors(shop, receiver):
    assert shop.post("/webhooks", {"topic": "order.shipped", "delivery_url": receiver.url}).json()[
        "code"
    ] == ("woocommerce_rest_shop_webhook_invalid_topic")
    missing = shop.post("/webhooks", {"topic": "order.created"})
    assert missing.status_code == 400 and missing.json()["message"] == "Missing parameter(s): delivery_url"
    bad_url = shop.post("/webhooks", {"topic": "order.created", "delivery_url": "ftp://example.com/x"})
    assert bad_url.json()["code"] == "woocommerce_rest_shop_webhook_invalid_delivery_url"
    hook = subscribe(shop, receiver, "order.updated")
    assert shop.delete(f"/webhooks/{hook['id']}").status_code == 501
    assert shop.get("/webhooks/999").json() == {
        "code": "woocommerce_rest_shop_webhook_invalid_id",
        "message": "ID is invalid.",
        "data": {"status": 400},
    }
    paused = shop.put(f"/webhooks/{hook['id']}", {"status": "paused"}).json()
    assert paused["status"] == "paused" and paused["secret"] == SECRET
    assert shop.delete(f"/webhooks/{hook['id']}", params={"force": "true"}).status_code == 200
    assert shop.get("/webhooks").json() == []
