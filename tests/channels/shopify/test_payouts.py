"""Shopify Payments payouts with the orders charged and refunded in each, from balance transactions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from channels.adapters.base import Payout


def _day(shop, when: str, *orders: tuple[str, int]) -> list[dict]:
    shop.set_clock(when)
    return [shop.order(line).json()["order"] for line in orders]


def _all_payouts(adapter, since: date | None) -> tuple[list[Payout], int]:
    found, cursor, pages = [], None, 0
    for _ in range(20):
        page = adapter.fetch_payouts(since=since, cursor=cursor)
        pages += 1
        found += page.items
        cursor = page.next_cursor
        if cursor is None:
            break
    return found, pages


def test_paid_payouts_carry_their_orders_fees_and_refunds(make_adapter, shop):
    adapter = make_adapter(payouts_page_size=1)
    (friday,) = _day(shop, "2026-11-20T15:00:00Z", ("SAMPLE-BIN", 1))
    saturday = _day(shop, "2026-11-21T15:00:00Z", ("SAMPLE-BIN", 2), ("BIN-LG-001", 1))
    (sunday,) = _day(shop, "2026-11-22T15:00:00Z", ("BIN-LG-001", 1))
    shop.rest("POST", f"orders/{sunday['id']}/cancel.json", json={})
    shop.set_clock("2026-11-23T09:00:00Z")
    shop.control("POST", "payouts/run")
    shop.set_clock("2026-11-24T09:00:00Z")
    shop.control("POST", "payouts/run")

    payouts, pages = _all_payouts(adapter, since=date(2026, 11, 1))

    assert pages == 2  # one payout a page, paged by the Link header
    by_date = {p.date: p for p in payouts}
    assert set(by_date) == {date(2026, 11, 23), date(2026, 11, 24)}
    first = by_date[date(2026, 11, 23)]
    assert first.status == "paid" and first.currency == "USD"
    assert first.order_external_ids == (str(friday["id"]),)
    assert first.refund_order_external_ids == ()
    assert (first.amount, first.gross_sales, first.fees, first.refunds) == (
        Decimal("11.35"),
        Decimal("12.00"),
        Decimal("0.65"),
        Decimal("0.00"),
    )
    second = by_date[date(2026, 11, 24)]
    assert sorted(second.order_external_ids) == sorted(str(o["id"]) for o in [*saturday, sunday])
    assert second.refund_order_external_ids == (str(sunday["id"]),)
    assert second.gross_sales == Decimal("60.00")  # 2 x 12 + 18 + 18
    assert second.refunds == Decimal("18.00")
    assert second.amount == second.gross_sales - second.fees - second.refunds


def test_balance_transactions_are_paged_and_the_date_filter_applies(make_adapter, shop):
    adapter = make_adapter(transactions_page_size=2)
    _day(shop, "2026-11-16T15:00:00Z", ("BIN-LG-001", 1))
    orders = _day(shop, "2026-11-18T15:00:00Z", *[("SAMPLE-BIN", 1)] * 3)
    shop.set_clock("2026-11-20T09:00:00Z")
    shop.control("POST", "payouts/run")

    payouts, _ = _all_payouts(adapter, since=date(2026, 11, 19))

    assert [p.date for p in payouts] == [date(2026, 11, 19)]  # the 17th's payout is before `since`
    assert sorted(payouts[0].order_external_ids) == sorted(str(o["id"]) for o in orders)
    # three charges and the payout itself, two a page
    assert shop.state()["calls"]["balance_transactions"] == 2


def test_payouts_not_yet_paid_are_left_out(make_adapter, shop):
    adapter = make_adapter()
    (friday,) = _day(shop, "2026-11-20T15:00:00Z", ("SAMPLE-BIN", 1))
    shop.set_clock("2026-11-21T09:00:00Z")
    shop.control("POST", "payouts/run")  # Friday closes; its payout arrives on Monday

    assert _all_payouts(adapter, since=None)[0] == []

    shop.set_clock("2026-11-23T09:00:00Z")
    shop.control("POST", "payouts/run")
    payouts, _ = _all_payouts(adapter, since=None)
    assert [(p.status, p.order_external_ids) for p in payouts] == [("paid", (str(friday["id"]),))]
