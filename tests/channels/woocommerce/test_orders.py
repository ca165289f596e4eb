"""Orders: the snapshot mapping (statuses, lines, refunds, GMT times), fetch_order's errors, and the
catch-up that finds what webhooks missed, across pages, even while orders change under it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from channels.adapters.base import OrderStatus, PermanentChannelError
from channels.adapters.woocommerce.orders import order_from_json, refunded_quantities

from .support import calls, place, shop_now

FIXTURES = Path(__file__).parent / "fixtures"


def _shop_time(shop) -> datetime:
    return datetime.fromisoformat(shop_now(shop).replace("Z", "+00:00"))


def _catch_up(adapter, since, *, between=None, limit: int = 100):
    """Every page of fetch_orders; `between(page_number)` runs after each page."""
    orders, cursor = [], None
    for number in range(1, limit + 1):
        page = adapter.fetch_orders(updated_since=since, cursor=cursor)
        orders += page.items
        cursor = page.next_cursor
        if cursor is None:
            return orders, number
        if between:
            between(number)
    raise AssertionError("the catch-up did not end")


# -- the mapping, on WooCommerce's documented payloads -----------------------------------------


def test_the_documented_order_maps_with_gmt_times_and_listing_ids():
    body = json.loads((FIXTURES / "order_727.json").read_text())

    order = order_from_json(body)

    assert (order.external_id, order.number, order.status) == ("727", "727", OrderStatus.OPEN)
    # The site is three hours behind GMT: the _gmt fields are the truth.
    assert order.created_at == datetime(2017, 3, 22, 19, 28, 2, tzinfo=UTC)
    assert order.updated_at == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)
    assert (order.currency, order.total, order.customer_name) == ("USD", Decimal("29.35"), "John Doe")
    assert order.financial_status == "paid"
    assert [
        (line.external_id, line.listing_external_id, line.sku, line.quantity) for line in order.lines
    ] == [
        ("315", "93", "", 2),
        ("316", "22:23", "Bar3", 1),
    ]
    assert order.lines[1].title == "Ship Your Idea \u2013 Color: Black, Size: M Test"
    assert [line.unit_price for line in order.lines] == [Decimal(3), Decimal(12)]


def test_documented_refund_lines_count_units_by_the_line_they_refund():
    refunds = json.loads((FIXTURES / "refunds_723.json").read_text())

    assert refunded_quantities(refunds) == {"311": 1}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("pending", OrderStatus.OPEN),
        ("on-hold", OrderStatus.OPEN),
        ("processing", OrderStatus.OPEN),
        ("completed", OrderStatus.FULFILLED),
        ("cancelled", OrderStatus.CANCELLED),
        ("failed", OrderStatus.CANCELLED),
        ("trash", OrderStatus.CANCELLED),
        ("refunded", OrderStatus.REFUNDED),
        ("shipped", OrderStatus.OPEN),  # a plugin's status: keeps its reservations
    ],
)
def test_statuses(status, expected):
    body = json.loads((FIXTURES / "order_727.json").read_text())

    assert order_from_json({**body, "status": status}).status == expected


# -- against the emulator ----------------------------------------------------------------------


def test_fetch_order_maps_a_placed_order(adapter, shop):
    placed = place(shop, ("TSHIRT-S", 2), ("SAMPLE-BIN", 1))
    shirt = shop.by_sku()["TSHIRT-S"]

    order = adapter.fetch_order(str(placed["id"]))

    assert (order.external_id, order.number, order.status) == (str(placed["id"]), str(placed["id"]), "open")
    assert [(line.sku, line.quantity, line.refunded_quantity, line.unit_price) for line in order.lines] == [
        ("TSHIRT-S", 2, 0, Decimal("20.0")),
        ("SAMPLE-BIN", 1, 0, Decimal("12.0")),
    ]
    assert [line.listing_external_id for line in order.lines] == [
        f"{shirt['product_id']}:{shirt['variation_id']}",
        "10",
    ]
    assert [line.external_id for line in order.lines] == [str(item["id"]) for item in placed["line_items"]]
    assert (order.total, order.currency, order.customer_name) == (Decimal("52.00"), "USD", "Sandbox Shopper")
    assert order.created_at == datetime.fromisoformat(placed["date_created_gmt"]).replace(tzinfo=UTC)
    assert order.updated_at.tzinfo is not None


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("on-hold", OrderStatus.OPEN),
        ("completed", OrderStatus.FULFILLED),
        ("cancelled", OrderStatus.CANCELLED),
        ("failed", OrderStatus.CANCELLED),
        ("refunded", OrderStatus.REFUNDED),
    ],
)
def test_fetch_order_follows_status_changes(adapter, shop, status, expected):
    placed = place(shop, ("BIN-SM-003", 1))
    assert shop.put(f"/orders/{placed['id']}", {"status": status}).status_code == 200

    assert adapter.fetch_order(str(placed["id"])).status == expected


def test_a_trashed_order_is_cancelled(adapter, shop):
    placed = place(shop, ("BIN-SM-003", 1))
    shop.delete(f"/orders/{placed['id']}")

    assert adapter.fetch_order(str(placed["id"])).status == OrderStatus.CANCELLED


def test_refunds_give_refunded_quantities_per_line(adapter, shop):
    placed = place(shop, ("TSHIRT-S", 3), ("SAMPLE-BIN", 2))
    shirt_line, bin_line = (item["id"] for item in placed["line_items"])
    for quantity in (1, 1):
        answer = shop.post(
            f"/orders/{placed['id']}/refunds",
            {
                "line_items": [{"id": shirt_line, "quantity": quantity, "refund_total": "20.00"}],
                "api_refund": False,
            },
        )
        assert answer.status_code == 201, answer.text
    before = calls(shop)

    order = adapter.fetch_order(str(placed["id"]))

    assert [(line.external_id, line.quantity, line.refunded_quantity) for line in order.lines] == [
        (str(shirt_line), 3, 2),
        (str(bin_line), 2, 0),
    ]
    assert (order.status, order.financial_status) == (OrderStatus.OPEN, "partially_refunded")
    after = calls(shop)
    assert after["orders.get"] - before.get("orders.get", 0) == 1
    assert after["refunds.list"] - before.get("refunds.list", 0) == 1


def test_an_unknown_order_is_a_permanent_error_with_woocommerces_code(adapter, shop):
    with pytest.raises(PermanentChannelError) as caught:
        adapter.fetch_order("987654")

    assert (caught.value.status, caught.value.code) == (404, "woocommerce_rest_shop_order_invalid_id")
    assert json.loads(caught.value.raw or "")["message"] == "Invalid ID."
    with pytest.raises(PermanentChannelError):
        adapter.fetch_order("#12")
    assert calls(shop)["orders.get"] == 1  # the malformed id never reached the shop


def test_fetch_orders_reads_only_orders_changed_since(adapter, shop):
    old = place(shop, ("BIN-SM-003", 1))
    shop.advance(120)
    since = _shop_time(shop) - timedelta(seconds=30)
    new = place(shop, ("BIN-MD-002", 1))

    orders, pages = _catch_up(adapter, since)

    assert [o.external_id for o in orders] == [str(new["id"])]
    assert str(old["id"]) not in {o.external_id for o in orders}
    assert pages == 1


def test_the_catch_up_finds_an_order_whose_webhook_was_dropped(adapter, shop, receiver):
    adapter.register_webhooks(receiver.url)
    shop.knobs(webhook_drop_rate=1.0)
    since = _shop_time(shop)
    placed = place(shop, ("SHELF-OAK-80", 2))
    shop.flush()
    assert receiver.deliveries() == []  # WooCommerce will never send it again
    assert shop.state()["webhooks"]["dropped"] >= 2

    orders, _ = _catch_up(adapter, since)

    (order,) = orders
    assert (order.external_id, order.status) == (str(placed["id"]), OrderStatus.OPEN)
    assert [(line.sku, line.quantity) for line in order.lines] == [("SHELF-OAK-80", 2)]


def test_paging_loses_no_order_when_one_changes_during_the_catch_up(make_adapter, shop):
    adapter = make_adapter(page_size=10)
    since = _shop_time(shop)
    placed = []
    for _ in range(35):
        shop.advance(1)
        placed.append(place(shop, ("SAMPLE-BIN", 1))["id"])

    def meanwhile(page_number: int) -> None:
        if page_number == 1:
            # An order already read changes: it moves to the end of "modified ascending", and
            # plain page numbers would now skip the order that slides onto page 1.
            shop.advance(1)
            shop.put(f"/orders/{placed[2]}", {"status": "completed"})

    orders, pages = _catch_up(adapter, since, between=meanwhile)

    seen = [int(o.external_id) for o in orders]
    assert set(seen) == set(placed)
    assert seen.count(placed[2]) == 2  # read once more after its change, harmlessly
    assert orders[-1].status == OrderStatus.FULFILLED
    assert pages == 4


def test_paging_through_many_orders_changed_in_the_same_second(make_adapter, shop):
    adapter = make_adapter(page_size=10)
    since = _shop_time(shop) - timedelta(seconds=1)
    answer = shop.post(
        "/orders/batch",
        {
            "create": [
                {"set_paid": True, "line_items": [{"sku": "SAMPLE-BIN", "quantity": 1}]} for _ in range(25)
            ]
        },
    )
    created = [o["id"] for o in answer.json()["create"]]
    assert len({o["date_modified_gmt"] for o in answer.json()["create"]}) == 1

    orders, _ = _catch_up(adapter, since)

    assert sorted(int(o.external_id) for o in orders) == sorted(created)
