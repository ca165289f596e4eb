"""Orders over REST: catch-up pages by the Link header, snapshots mapped to ExternalOrder, and the
leaky bucket honoured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from channels.adapters.base import OrderStatus, PermanentChannelError

from .support import writes


def _refund_one(shop, order: dict, line_index: int = 0) -> None:
    line = order["line_items"][line_index]
    answer = shop.rest(
        "POST",
        f"orders/{order['id']}/refunds.json",
        json={
            "refund": {
                "refund_line_items": [{"line_item_id": line["id"], "quantity": 1, "restock_type": "cancel"}],
                "transactions": [{"amount": line["price"], "kind": "refund", "gateway": "shopify_payments"}],
            }
        },
    )
    assert answer.status_code == 201, answer.text


def _fulfil(shop, order: dict) -> None:
    fulfillment_order = shop.rest("GET", f"orders/{order['id']}/fulfillment_orders.json").json()[
        "fulfillment_orders"
    ][0]
    answer = shop.rest(
        "POST",
        "fulfillments.json",
        json={
            "fulfillment": {
                "line_items_by_fulfillment_order": [{"fulfillment_order_id": fulfillment_order["id"]}]
            }
        },
    )
    assert answer.status_code == 201, answer.text


def test_fetch_order_maps_the_snapshot(adapter, shop):
    created = shop.order(("BIN-LG-001", 3), ("HOOK-BRASS-04", 2), email="ada@example.com").json()["order"]
    _refund_one(shop, created, line_index=1)

    order = adapter.fetch_order(str(created["id"]))

    assert order.external_id == str(created["id"])
    assert order.number == created["name"]
    assert order.status == OrderStatus.OPEN
    assert order.financial_status == "partially_refunded"
    assert order.currency == "USD"
    assert order.total == Decimal("76.00")  # 3 x 18.00 + 2 x 11.00
    assert order.created_at.tzinfo is not None
    assert order.updated_at >= order.created_at
    first, second = order.lines
    assert (first.sku, first.quantity, first.refunded_quantity, first.unit_price) == (
        "BIN-LG-001",
        3,
        0,
        Decimal("18.00"),
    )
    assert first.listing_external_id == str(shop.variant("BIN-LG-001")["variant_id"])
    assert first.external_id == str(created["line_items"][0]["id"])
    assert first.title
    assert (second.sku, second.quantity, second.refunded_quantity) == ("HOOK-BRASS-04", 2, 1)


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ("cancel", OrderStatus.CANCELLED),
        ("fulfil", OrderStatus.FULFILLED),
        ("refund-all", OrderStatus.REFUNDED),
    ],
)
def test_order_status_follows_shopify(adapter, shop, change, status):
    created = shop.order(("SAMPLE-BIN", 1)).json()["order"]
    if change == "cancel":
        shop.rest("POST", f"orders/{created['id']}/cancel.json", json={})
    elif change == "fulfil":
        _fulfil(shop, created)
    else:
        _refund_one(shop, created)

    assert adapter.fetch_order(str(created["id"])).status == status


def test_an_unknown_order_is_permanent(adapter):
    with pytest.raises(PermanentChannelError) as caught:
        adapter.fetch_order("5600000099999")

    assert caught.value.status == 404
    assert caught.value.code == "not_found"


def test_catch_up_pages_by_link_header_from_updated_since(make_adapter, shop):
    adapter = make_adapter(orders_page_size=2)
    shop.set_clock("2026-11-20T09:00:00Z")
    old = shop.order(("SAMPLE-BIN", 1)).json()["order"]
    shop.set_clock("2026-11-20T12:00:00Z")
    recent = [shop.order(("SAMPLE-BIN", 1)).json()["order"] for _ in range(4)]
    shop.set_clock("2026-11-20T13:00:00Z")
    shop.rest("POST", f"orders/{old['id']}/cancel.json", json={})  # an old order updated later

    seen, cursor, pages = [], None, 0
    since = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)
    for _ in range(10):
        page = adapter.fetch_orders(updated_since=since, cursor=cursor)
        pages += 1
        seen += page.items
        cursor = page.next_cursor
        if cursor is None:
            break

    assert pages == 3
    assert sorted(o.external_id for o in seen) == sorted(str(o["id"]) for o in [old, *recent])
    cancelled = next(o for o in seen if o.external_id == str(old["id"]))
    assert cancelled.status == OrderStatus.CANCELLED
    assert all(o.updated_at >= since for o in seen)
    assert shop.state()["calls"]["orders_collection"] == 3


def test_fetch_orders_without_a_cursor_reads_everything(adapter, shop):
    shop.order(("SAMPLE-BIN", 1))
    page = adapter.fetch_orders(updated_since=None)
    assert len(page.items) == 1 and page.next_cursor is None
    page = adapter.fetch_orders(updated_since=datetime.now(UTC) + timedelta(days=1))
    assert page.items == []


def test_a_429_waits_for_retry_after(adapter, shop, sleeper):
    shop.order(("SAMPLE-BIN", 1))
    shop.fault(kind="throttle", path=r"/orders\.json$", count=2)

    page = adapter.fetch_orders(updated_since=None)

    assert len(page.items) == 1
    assert sleeper.waits == [2.0, 2.0]  # Shopify's Retry-After, exactly
    assert shop.state()["calls"]["orders_collection"] == 3
    assert writes(shop) == (0, [])


def test_the_leaky_bucket_is_not_run_into(adapter, shop, sleeper):
    created = shop.order(("SAMPLE-BIN", 1)).json()["order"]
    # Hold the emulator's bucket still (it is rebuilt at the next reset) so the level is exact.
    shop.platform.rest_bucket.LEAK_PER_SECOND = 1e-6
    for _ in range(38):  # other apps' calls fill the shop's REST bucket to 38 of 40
        assert shop.rest("GET", "shop.json").status_code == 200

    adapter.fetch_order(str(created["id"]))  # 39/40 after this one
    adapter.fetch_order(str(created["id"]))  # would leave no spare slot: waits for one to drain

    assert len(sleeper.waits) == 1
    assert 0.3 < sleeper.waits[0] <= 0.5  # at 2 requests/s, one slot drains in half a second
    assert shop.state()["calls"]["order_detail"] == 2  # and no 429 on the way


def test_barcodes_are_looked_up_when_the_connection_matches_by_barcode(make_adapter, shop):
    adapter = make_adapter(order_barcodes=True)
    shop.order(("BIN-LG-001", 1), ("SAMPLE-BIN", 2))
    shop.order(("SAMPLE-BIN", 1))

    page = adapter.fetch_orders(updated_since=None)

    barcodes = {line.sku: line.barcode for order in page.items for line in order.lines}
    assert barcodes == {"BIN-LG-001": "4000000000020", "SAMPLE-BIN": "4000000000013"}
    assert shop.state()["operations"]["nodes"] == 1  # one lookup for the whole page
