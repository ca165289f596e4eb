"""Shopify Payments: charges with fees, refunds, and payouts only on business days."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo


def _payouts(shop) -> list[dict]:
    return shop.rest("GET", "shopify_payments/payouts.json").json()["payouts"]


def test_weekend_takings_roll_into_the_next_business_days_payout(shop):
    shop.set_clock("2026-11-20T15:00:00Z")  # Friday
    friday = shop.order(("SAMPLE-BIN", 1)).json()["order"]
    shop.set_clock("2026-11-21T15:00:00Z")  # Saturday
    saturday = shop.order(("SAMPLE-BIN", 2)).json()["order"]
    shop.set_clock("2026-11-22T15:00:00Z")  # Sunday
    sunday = shop.order(("BIN-LG-001", 1)).json()["order"]
    shop.rest("POST", f"orders/{sunday['id']}/cancel.json", json={})

    shop.set_clock("2026-11-23T09:00:00Z")  # Monday: Friday closes, paid today
    run = shop.control("POST", "payouts/run").json()
    assert [p["date"] for p in run["created"]] == ["2026-11-23"]
    first = run["created"][0]
    assert first["status"] == "paid"
    assert first["amount"] == "11.35"  # 12.00 less 2.9% + 0.30
    assert first["summary"]["charges_gross_amount"] == "12.00"
    assert first["summary"]["charges_fee_amount"] == "0.65"

    shop.set_clock("2026-11-24T09:00:00Z")  # Tuesday: Monday closes with the weekend's takings
    second = shop.control("POST", "payouts/run").json()["created"]
    assert [p["date"] for p in second] == ["2026-11-24"]
    summary = second[0]["summary"]
    assert summary["charges_gross_amount"] == "42.00"  # Saturday 24.00 + Sunday 18.00
    assert summary["refunds_gross_amount"] == "-18.00"  # Sunday's order was cancelled and refunded
    assert shop.control("POST", "payouts/run").json()["created"] == []

    payouts = _payouts(shop)
    assert [p["date"] for p in payouts] == ["2026-11-24", "2026-11-23"]
    assert all(date.fromisoformat(p["date"]).weekday() < 5 for p in payouts)
    transactions = shop.rest(
        "GET", "shopify_payments/balance/transactions.json", params={"payout_id": payouts[0]["id"]}
    ).json()["transactions"]
    by_type = sorted((t["type"], t["source_order_id"]) for t in transactions)
    assert by_type == [
        ("charge", saturday["id"]),
        ("charge", sunday["id"]),
        ("payout", None),
        ("refund", sunday["id"]),
    ]
    assert all(t["payout_status"] == "paid" for t in transactions)
    assert friday["id"] not in {t["source_order_id"] for t in transactions}
    one = shop.rest("GET", f"shopify_payments/payouts/{payouts[1]['id']}.json").json()["payout"]
    assert one["amount"] == "11.35"


def test_payout_listing_pages_by_link_and_filters_by_date(shop):
    for day in ("2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19"):
        shop.set_clock(f"{day}T12:00:00Z")
        shop.order(("SAMPLE-BIN", 1))
    shop.set_clock("2026-11-20T12:00:00Z")
    shop.control("POST", "payouts/run")
    page = shop.rest("GET", "shopify_payments/payouts.json", params={"limit": 2})
    assert len(page.json()["payouts"]) == 2
    assert 'rel="next"' in page.headers["Link"]
    since = shop.rest("GET", "shopify_payments/payouts.json", params={"date_min": "2026-11-19"}).json()[
        "payouts"
    ]
    assert [p["date"] for p in since] == ["2026-11-20", "2026-11-19"]
    pending = shop.rest(
        "GET", "shopify_payments/balance/transactions.json", params={"payout_status": "pending"}
    )
    assert pending.json()["transactions"] == []


def test_holidays_have_no_payout(shop):
    platform = shop.platform
    saved = platform.holidays, platform.timezone, platform.tz
    # The shared server is reconfigured in place (a second server costs seconds to stop).
    platform.holidays = frozenset({"2026-11-26"})
    platform.timezone, platform.tz = "America/New_York", ZoneInfo("America/New_York")
    try:
        shop.set_clock("2026-11-25T18:00:00Z")  # Wednesday in New York
        shop.order(("SAMPLE-BIN", 1))
        shop.set_clock("2026-11-27T18:00:00Z")  # Friday; Thursday was a holiday
        created = shop.control("POST", "payouts/run").json()["created"]
        assert [p["date"] for p in created] == ["2026-11-27"]
        order = shop.rest("GET", "orders.json").json()["orders"][0]
        assert order["created_at"] == "2026-11-25T13:00:00-05:00"
        assert shop.data("{ shop { ianaTimezone timezoneOffset } }")["shop"] == {
            "ianaTimezone": "America/New_York",
            "timezoneOffset": "-0500",
        }
    finally:
        platform.holidays, platform.timezone, platform.tz = saved
