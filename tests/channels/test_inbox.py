"""The inbox: bad deliveries fail alone, with a clear error kept; the rest of the queue goes on."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from django.urls import reverse
from rq import Queue

from channels import webhooks
from channels.connections import adapter_for
from channels.models import Activity, EventStatus, Outcome, WebhookEvent
from channels.webhooks import process_inbox, retry_event
from inventory_sync.models import Item, Order
from inventory_sync.queueing import get_queue
from tests.factories import ConnectionFactory, MerchantFactory, stocked_item

pytestmark = pytest.mark.django_db


def order_body(order_id: int, *lines: tuple[str, int], currency: str = "USD") -> bytes:
    return json.dumps(
        {
            "id": order_id,
            "name": f"#{order_id}",
            "created_at": "2026-11-20T10:00:00+00:00",
            "updated_at": "2026-11-20T10:00:00+00:00",
            "currency": currency,
            "total_price": "10.00",
            "financial_status": "paid",
            "fulfillment_status": None,
            "cancelled_at": None,
            "line_items": [
                {
                    "id": order_id * 10 + n,
                    "sku": sku,
                    "title": sku,
                    "quantity": qty,
                    "price": "5.00",
                    "variant_id": None,
                }
                for n, (sku, qty) in enumerate(lines)
            ],
            "refunds": [],
        }
    ).encode()


@pytest.fixture
def shop():
    return ConnectionFactory(merchant=MerchantFactory(), webhook_secret="s3cret")


def deliver(client, shop, body: bytes, *, topic: str = "orders/create", event_id: str, sign: bool = True):
    signature = (
        base64.b64encode(hmac.new(b"s3cret", body, hashlib.sha256).digest()).decode() if sign else "bad"
    )
    return client.post(
        reverse("webhook", kwargs={"platform": "shopify", "connection_uuid": shop.uuid}),
        data=body,
        content_type="application/json",
        headers={
            "X-Shopify-Hmac-Sha256": signature,
            "X-Shopify-Topic": topic,
            "X-Shopify-Event-Id": event_id,
        },
    )


def test_bad_deliveries_fail_alone_and_the_rest_go_on(client, shop):
    item = stocked_item(merchant=shop.merchant, on_hand=20, sku="A")
    bad = {
        "zero quantity": order_body(2, ("A", 0)),
        "no SKU": order_body(3, ("", 1)),
        "unknown currency": order_body(4, ("A", 1), currency="XYZ"),
        "not JSON": b"{not json",
    }
    assert deliver(client, shop, order_body(1, ("A", 2)), event_id="good-1").status_code == 200
    for n, body in enumerate(bad.values()):
        assert deliver(client, shop, body, event_id=f"bad-{n}").status_code == 200  # stored, answered fast
    assert deliver(client, shop, order_body(5, ("A", 3)), event_id="good-2").status_code == 200
    assert deliver(client, shop, b"{}", topic="products/teleport", event_id="odd").status_code == 200

    process_inbox(shop.pk)

    statuses = dict(WebhookEvent.objects.values_list("delivery_key", "status"))
    assert statuses["good-1"] == statuses["good-2"] == EventStatus.DONE
    assert [statuses[f"bad-{n}"] for n in range(len(bad))] == [EventStatus.FAILED] * len(bad)
    assert statuses["odd"] == EventStatus.FAILED
    errors = dict(WebhookEvent.objects.filter(status=EventStatus.FAILED).values_list("delivery_key", "error"))
    assert "quantity must be at least 1" in errors["bad-0"]
    assert "no SKU" in errors["bad-1"]
    assert "unknown currency" in errors["bad-2"]
    assert "products/teleport" in errors["odd"]
    # Nothing of a bad order was written; the good ones reserved.
    assert sorted(Order.objects.values_list("external_id", flat=True)) == ["1", "5"]
    assert Item.objects.get(pk=item.pk).available == 15
    # Each failure is in the activity log with the raw body kept, and can be retried.
    failures = Activity.objects.filter(outcome=Outcome.ERROR)
    assert failures.count() == len(bad) + 1
    assert failures.filter(payload__contains="{not json").exists()


def test_a_retried_event_runs_again(client, shop):
    stocked_item(merchant=shop.merchant, on_hand=20, sku="A")
    deliver(client, shop, order_body(7, ("B", 1)), event_id="late-item")
    process_inbox(shop.pk)
    event = WebhookEvent.objects.get()
    assert event.status == EventStatus.DONE  # an unknown SKU is not an error: it waits in staging

    deliver(client, shop, order_body(8, ("A", 0)), event_id="broken")
    process_inbox(shop.pk)
    broken = WebhookEvent.objects.get(delivery_key="broken")
    assert broken.status == EventStatus.FAILED
    retry_event(broken)
    broken.refresh_from_db()
    assert broken.status == EventStatus.PENDING


def test_a_wrong_signature_is_refused_and_nothing_is_stored(client, shop):
    response = deliver(client, shop, order_body(1, ("A", 1)), event_id="forged", sign=False)
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()


def test_an_unknown_address_is_404(client, shop):
    response = client.post(
        reverse("webhook", kwargs={"platform": "woocommerce", "connection_uuid": shop.uuid}),
        data=b"{}",
        content_type="application/json",
    )
    assert response.status_code == 404
    assert adapter_for(shop).kind == "shopify"


def test_an_inbox_run_lets_go_between_batches_when_other_work_waits(client, shop, monkeypatch):
    """An inbox run that sees a push or another webhooks run queued hands its worker back after
    the batch in hand, and asks for another run for the rest."""
    item = stocked_item(merchant=shop.merchant, on_hand=20, sku="A")
    for n in range(3):
        deliver(client, shop, order_body(20 + n, ("A", 1)), event_id=f"burst-{n}")
    requested: list[int] = []
    monkeypatch.setattr(webhooks, "INBOX_BATCH", 1)
    monkeypatch.setattr(webhooks, "request_inbox_run", requested.append)

    monkeypatch.setattr(webhooks, "_others_waiting", lambda: True)
    assert process_inbox(shop.pk) == 1
    assert requested == [shop.pk]
    assert WebhookEvent.objects.filter(status=EventStatus.PENDING).count() == 2

    monkeypatch.setattr(webhooks, "_others_waiting", lambda: False)
    assert process_inbox(shop.pk) == 2
    assert requested == [shop.pk]
    assert Item.objects.get(pk=item.pk).available == 17


@pytest.mark.parametrize("queue_name", ["push", "webhooks"])
def test_a_queued_push_or_webhooks_run_is_seen_as_waiting(queue_name):
    # RQ's own queue: django-rq's would hold the job back until the test's transaction commits.
    queue = Queue(queue_name, connection=get_queue(queue_name).connection)
    queue.empty()
    assert not webhooks._others_waiting()
    job = queue.enqueue("channels.tasks.push_connection", 0)
    try:
        assert webhooks._others_waiting()
    finally:
        job.delete()
    assert not webhooks._others_waiting()
