"""The adapter under the hub's own callers: listings import, the push job with drift, and an order
webhook through the real view and inbox processing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from channels.listings import listings_upsert
from channels.models import DriftPolicy, Listing, WebhookEvent
from channels.push import push_connection
from channels.sync import reconcile_connection
from channels.webhooks import process_event
from inventory_sync.models import Order
from inventory_sync.services.stock import MasterReading, apply_master_readings
from tests.channels.sandbox.shopify.support import SECRET, TOKEN, Receiver, subscribe
from tests.factories import ConnectionFactory, stocked_item

from .support import writes

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection(shop, settings):
    settings.PUSH_DEBOUNCE_SECONDS = 0
    return ConnectionFactory(
        base_url=shop.url,
        credentials={"access_token": TOKEN},
        webhook_secret=SECRET,
        sync_inventory=True,
        drift_policy=DriftPolicy.HUB_WINS,
    )


def _import(adapter, connection) -> None:
    cursor = None
    for _ in range(5):
        page = adapter.fetch_listings(cursor=cursor)
        listings_upsert(connection=connection, externals=page.items)
        cursor = page.next_cursor
        if cursor is None:
            break


def test_import_push_and_drift_repair(adapter, shop, connection):
    item = stocked_item(merchant=connection.merchant, on_hand=50, sku="BIN-LG-001")
    _import(adapter, connection)
    listing = Listing.objects.get(connection=connection, sku="BIN-LG-001")
    assert (listing.item_id, listing.last_seen_qty, listing.push_pending) == (item.pk, 240, True)

    summary = push_connection(connection.pk, adapter=adapter)

    assert (summary.written, summary.write_calls, summary.drift) == (1, 1, 0)
    assert shop.available("BIN-LG-001") == 50
    # The merchant edits the quantity in Shopify, then the master moves the item.
    shop.control("POST", "inventory", json={"sku": "BIN-LG-001", "available": 7})
    apply_master_readings(
        merchant=connection.merchant,
        readings=[MasterReading(item.pk, Decimal(40), datetime(2026, 2, 1, tzinfo=UTC), "1")],
        source="test",
    )

    summary = push_connection(connection.pk, adapter=adapter)

    # Drift seen (7, not the 50 the hub wrote). The channel shows less than the hub wants: that
    # may be its own sales the hub has not processed yet, so the push does not raise it.
    assert (summary.drift, summary.written) == (1, 0)
    assert shop.available("BIN-LG-001") == 7
    listing.refresh_from_db()
    assert (listing.last_seen_qty, listing.push_pending, listing.last_push_outcome) == (7, False, "drift")

    # Reconcile, with the channel quiet, repairs it: hub wins, written over with compare 7.
    reconcile_connection(connection.pk, adapter=adapter)
    summary = push_connection(connection.pk, adapter=adapter)
    assert (summary.drift, summary.written) == (0, 1)
    assert shop.available("BIN-LG-001") == 40
    listing.refresh_from_db()
    assert (listing.last_seen_qty, listing.push_pending, listing.last_push_outcome) == (40, False, "ok")
    assert writes(shop) == (2, [])


def test_an_order_webhook_goes_through_the_view_and_the_inbox(adapter, shop, connection, client):
    stocked_item(merchant=connection.merchant, on_hand=30, sku="LAMP-DESK-BLK")
    receiver = Receiver()
    try:
        subscribe(shop, "ORDERS_CREATE", receiver.url)
        created = shop.order(("LAMP-DESK-BLK", 2)).json()["order"]
        (delivery,) = receiver.wait_for(1)
    finally:
        receiver.close()
    url = reverse("webhook", kwargs={"platform": "shopify", "connection_uuid": connection.uuid})
    headers = {k: v for k, v in delivery["headers"].items() if k.lower().startswith("x-shopify-")}

    answer = client.post(url, data=delivery["body"], content_type="application/json", headers=headers)
    duplicate = client.post(url, data=delivery["body"], content_type="application/json", headers=headers)
    forged = client.post(
        url,
        data=delivery["body"],
        content_type="application/json",
        headers={**headers, "X-Shopify-Hmac-Sha256": "x"},
    )

    assert answer.status_code == 200 and duplicate.json().get("duplicate") is True
    assert forged.status_code == 401
    event = WebhookEvent.objects.get(connection=connection)
    process_event(connection, adapter, event)
    order = Order.objects.get(connection=connection, external_id=str(created["id"]))
    assert order.number == created["name"]
    assert [(line.sku, line.quantity) for line in order.lines.all()] == [("LAMP-DESK-BLK", 2)]
