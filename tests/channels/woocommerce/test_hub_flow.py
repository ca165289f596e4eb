"""The adapter under the hub's own callers: listings import and the push job, the orders catch-up
after a dropped webhook, and deliveries (the unsigned ping too) through the real view and inbox."""

from __future__ import annotations

import pytest
from django.urls import reverse

from channels.listings import listings_upsert
from channels.models import ConnectionKind, EventStatus, Listing, WebhookEvent
from channels.push import push_connection
from channels.sync import catch_up_orders, reconcile_connection
from channels.webhooks import process_event
from inventory_sync.models import Order
from tests.channels.sandbox.woocommerce.conftest import KEY, SECRET
from tests.factories import ConnectionFactory, stocked_item

from .conftest import WEBHOOK_SECRET
from .support import calls, place, writes

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection(shop, settings):
    settings.PUSH_DEBOUNCE_SECONDS = 0
    return ConnectionFactory(
        kind=ConnectionKind.WOOCOMMERCE,
        base_url=shop.url,
        credentials={"consumer_key": KEY, "consumer_secret": SECRET},
        webhook_secret=WEBHOOK_SECRET,
        sync_inventory=True,
    )


def _import(adapter, connection) -> None:
    cursor = None
    for _ in range(10):
        page = adapter.fetch_listings(cursor=cursor)
        listings_upsert(connection=connection, externals=page.items)
        cursor = page.next_cursor
        if cursor is None:
            break


def test_import_push_and_reconcile(adapter, shop, connection):
    bins = stocked_item(merchant=connection.merchant, on_hand=50, sku="BIN-LG-001")
    shirts = stocked_item(merchant=connection.merchant, on_hand=12, sku="TSHIRT-M")
    _import(adapter, connection)
    listing = Listing.objects.get(connection=connection, sku="TSHIRT-M")
    assert (listing.item_id, listing.last_seen_qty, listing.push_pending) == (shirts.pk, 120, True)
    assert listing.external_id.count(":") == 1

    summary = push_connection(connection.pk, adapter=adapter)

    assert (summary.written, summary.write_calls, summary.errors) == (2, 1, 0)
    stock = shop.state()["stock"]
    assert (stock["BIN-LG-001"], stock["TSHIRT-M"]) == (50, 12)
    assert (calls(shop)["products.batch"], calls(shop)["variations.batch"]) == (1, 1)
    assert writes(shop) == (2, [])
    # The merchant edits the bins in wp-admin; reconcile sees it and, hub wins, pushes 50 again.
    shop.control("POST", "/stock", {"sku": "BIN-LG-001", "stock_quantity": 7})

    drift = reconcile_connection(connection.pk, adapter=adapter)
    push_connection(connection.pk, adapter=adapter)

    assert [(d.sku, d.channel_quantity, d.hub_quantity) for d in drift] == [("BIN-LG-001", 7, 50)]
    assert shop.state()["stock"]["BIN-LG-001"] == 50
    assert Listing.objects.get(connection=connection, sku="BIN-LG-001").item_id == bins.pk


def test_the_catch_up_takes_in_an_order_whose_webhook_was_dropped(adapter, shop, connection, receiver):
    shelf = stocked_item(merchant=connection.merchant, on_hand=30, sku="SHELF-OAK-80")
    adapter.register_webhooks(receiver.url)
    shop.knobs(webhook_drop_rate=1.0)
    placed = place(shop, ("SHELF-OAK-80", 2))
    shop.flush()
    assert receiver.deliveries() == []

    summary = catch_up_orders(connection.pk, adapter=adapter)

    assert (summary.orders, summary.applied, summary.rejected) == (1, 1, [])
    order = Order.objects.get(connection=connection, external_id=str(placed["id"]))
    assert [(line.sku, line.quantity) for line in order.lines.all()] == [("SHELF-OAK-80", 2)]
    shelf.refresh_from_db()
    assert shelf.available == 28  # reserved at once
    again = catch_up_orders(connection.pk, adapter=adapter)
    shelf.refresh_from_db()
    assert (again.orders, shelf.available, order.lines.count()) == (1, 28, 1)  # read again, nothing changed


def test_deliveries_go_through_the_view_and_the_inbox(adapter, shop, connection, client, receiver):
    stocked_item(merchant=connection.merchant, on_hand=30, sku="LAMP-DESK-BLK")
    adapter.register_webhooks(receiver.url)
    pings = receiver.wait_for(5)
    placed = place(shop, ("BIN-SM-003", 2))
    shop.flush()
    created = next(d for d in receiver.deliveries() if d.headers["x-wc-webhook-topic"] == "order.created")
    url = reverse("webhook", kwargs={"platform": "woocommerce", "connection_uuid": connection.uuid})

    def post(delivery, **changes):
        headers = {k: v for k, v in delivery.headers.items() if k.startswith(("x-wc-", "user-agent"))}
        headers.update(changes)
        return client.post(
            url, data=delivery.body, content_type=delivery.headers["content-type"], headers=headers
        )

    assert post(pings[0]).status_code == 200  # unsigned, as WooCommerce sends it
    assert post(created).status_code == 200
    assert post(created).json().get("duplicate") is True
    assert post(created, **{"x-wc-webhook-signature": "forged"}).status_code == 401
    forged_ping = client.post(url, data=b"webhook_id=1&x=1", content_type="application/x-www-form-urlencoded")
    assert forged_ping.status_code == 401

    for event in WebhookEvent.objects.filter(connection=connection).order_by("pk"):
        process_event(connection, adapter, event)

    # The ping is acknowledged but not stored: there is nothing to process in it.
    assert sorted(WebhookEvent.objects.values_list("topic", "status")) == [
        ("order.created", EventStatus.DONE)
    ]
    order = Order.objects.get(connection=connection, external_id=str(placed["id"]))
    assert [(line.sku, line.quantity) for line in order.lines.all()] == [("BIN-SM-003", 2)]
