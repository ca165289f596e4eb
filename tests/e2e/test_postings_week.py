"""A week of sales with weekday payouts (issue 6), end to end: the hub served over HTTP with RQ
workers on Redis and PostgreSQL, Shopify's orders arriving by webhook, Shopify's payouts posted
to QuickBooks as one summary sales receipt each, bills entered in QuickBooks mid-week.

At the end, for every item: QuickBooks' QtyOnHand is the starting stock plus the bills minus the
sales of the payouts paid so far, and the hub's availability is that minus the sales no payout
has carried yet (the weekend's)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
import requests

from channels.sandbox.shopify.storefront import ShopifyStorefront
from inventory_sync.models import Item, Posting, PostingStatus
from inventory_sync.services.stock import check_counters
from inventory_sync.tasks import postings_for_connection

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

SKUS = ["BIN-LG-001", "BIN-MD-002", "SAMPLE-BIN", "JAR-GLASS-2L", "LAMP-DESK-BLK", "HANGER-WD-10"]
BILLS = {2: [("BIN-LG-001", 30), ("LAMP-DESK-BLK", 12)], 3: [("BIN-LG-001", 5)]}  # weekday index -> bills


def qbo_bill(hub, sku: str, quantity: int, key: str) -> None:
    """A bill entered in QuickBooks through its API (its own request id: each one is new)."""
    from channels.adapters.base import platform
    from channels.connections import ConnectionTokenProvider

    master = hub.connection("quickbooks")
    token = ConnectionTokenProvider(master.pk, platform("quickbooks").refresher).access_token()
    base = f"{master.base_url}/v3/company/{master.external_account_id}"
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    query = f"select * from Item where Sku = '{sku}'"  # noqa: S608  (QuickBooks' query language, our own SKU)
    item = requests.get(
        base + "/query", params={"query": query, "minorversion": 75}, headers=headers, timeout=10
    ).json()["QueryResponse"]["Item"][0]
    requests.post(
        base + "/bill",
        params={"minorversion": 75, "requestid": key},
        headers=headers,
        json={
            "VendorRef": {"value": "1"},
            "Line": [
                {
                    "DetailType": "ItemBasedExpenseLineDetail",
                    "Amount": float(quantity * 4),
                    "ItemBasedExpenseLineDetail": {
                        "ItemRef": {"value": item["Id"]},
                        "Qty": quantity,
                        "UnitPrice": 4.0,
                    },
                }
            ],
        },
        timeout=10,
    ).raise_for_status()


def qbo_stock(hub) -> dict[str, Decimal]:
    stock = requests.get(hub.servers["quickbooks"].url + "/_sandbox/state", timeout=10).json()["stock"]
    return {sku: Decimal(str(qty)) for sku, qty in stock.items()}


def test_a_week_of_sales_with_weekday_payouts_keeps_quickbooks_and_the_hub_exact(hub, capsys) -> None:
    shop = hub.connection("shopify")
    config = hub.config["shopify"]
    storefront = ShopifyStorefront(config["base_url"], config["access_token"])
    start = qbo_stock(hub)
    today = datetime.now(UTC).date()
    monday = today + timedelta(days=7 - today.weekday())  # the coming Monday: Shopify's clock only
    rng = random.Random(6)
    sold: dict[date, Counter[str]] = {}
    billed: Counter[str] = Counter()
    postings_after: list[int] = []

    def clock(day: date, hour: int) -> None:
        when = datetime.combine(day, time(hour), tzinfo=UTC).isoformat()
        hub.control("shopify", "clock", {"set": when})

    for index in range(7):
        day = monday + timedelta(days=index)
        clock(day, 11)
        sold[day] = Counter()
        for _ in range(rng.randint(2, 4)):
            lines = [(sku, rng.randint(1, 4)) for sku in rng.sample(SKUS, rng.randint(1, 2))]
            storefront.place_order(lines)
            for sku, quantity in lines:
                sold[day][sku] += quantity
        for n, (sku, quantity) in enumerate(BILLS.get(index, [])):
            qbo_bill(hub, sku, quantity, key=f"week-bill-{index}-{n}")
            billed[sku] += quantity
        hub.settle()
        # The next morning: Shopify's overnight payout run, then the hub's postings.
        clock(day + timedelta(days=1), 9)
        hub.control("shopify", "payouts/run")
        postings_for_connection(shop.pk)
        hub.settle()
        postings_after.append(Posting.objects.filter(merchant=hub.merchant).count())

    # Mon-Thu each posted the next morning; Friday's payout is dated Monday (in transit on the
    # weekend); Saturday's and Sunday's takings wait for Monday's business day, paid on Tuesday.
    assert postings_after == [1, 2, 3, 4, 4, 4, 5]
    assert set(Posting.objects.filter(merchant=hub.merchant).values_list("status", flat=True)) == {
        PostingStatus.POSTED
    }
    posted = sum((sold[monday + timedelta(days=i)] for i in range(5)), Counter())
    unposted = sold[monday + timedelta(days=5)] + sold[monday + timedelta(days=6)]
    assert unposted, "the seed must sell something on the weekend"
    hub.wait_for(
        lambda: all(hub.item(sku).master_on_hand == start[sku] + billed[sku] - posted[sku] for sku in SKUS),
        timeout=20,
        what="the last postings and bills reached the hub",
    )

    end = qbo_stock(hub)
    for item in Item.objects.filter(merchant=hub.merchant, type="inventory"):
        sku = item.sku
        assert end[sku] == start[sku] + billed[sku] - posted[sku], sku
        assert item.master_on_hand == end[sku], sku
        assert item.reserved == unposted[sku], sku
        assert item.available == end[sku] - unposted[sku], sku
    assert check_counters(merchant=hub.merchant) == []
    receipts = requests.get(hub.servers["quickbooks"].url + "/_sandbox/state", timeout=10).json()
    assert receipts["writes_applied_twice"] == []
    assert receipts["operations"].get("create:SalesReceipt") == 5
    # And Shopify shows what the hub has available.
    for sku in SKUS:
        assert hub.stock("shopify", sku) == hub.item(sku).available, sku
    with capsys.disabled():
        print(
            f"\n  week: {sum(sum(c.values()) for c in sold.values())} units sold, "
            f"{sum(posted.values())} posted in 5 receipts, {sum(unposted.values())} waiting for "
            f"Tuesday's payout, {sum(billed.values())} billed"
        )
