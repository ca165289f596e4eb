"""Issue 6's scale figure: a Shopify payout of more than 15,000 orders of one item posts to
QuickBooks in at most 3 calls, and how long the whole posting takes.

The QuickBooks emulator runs in its own process (its plan's 500 requests/minute lifted: it models
the plan, not the emulator). The hub runs here, on a throwaway database (PostgreSQL when
DATABASE_URL points at one, else SQLite): for each run a fresh merchant, a fresh QuickBooks item,
15,001 orders of it taken in through the orders service (reservations made as a webhook would
make them) and the payout read through `sync_payouts` from a stub Shopify that lists it. Then
`run_posting` is timed; the QuickBooks calls are counted from the emulator's own call log
(/_sandbox/state), and the books checked: one SalesReceipt line with the summed quantity,
QtyOnHand read back, every reservation closed. 3 runs, median.

Run: .venv/bin/python bench/payout_posting.py [--orders 15001] [--runs 3]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import machine, save, start_sandbox, stop

BATCH = 500  # order snapshots applied per transaction while setting up


def throwaway_database(name: str) -> None:
    """Django on a fresh, migrated database of its own (dropped by `drop_database`)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_sync.settings")
    import django
    from django.conf import settings

    django.setup()
    from django.db import connection

    test = connection.settings_dict.setdefault("TEST", {})
    if connection.vendor == "sqlite":
        test["NAME"] = str(Path(settings.VAR_DIR) / f"{name}.sqlite3")
    else:
        test["NAME"] = name

    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    logging.disable(logging.INFO)  # the hub's activity log would drown the figures


def drop_database() -> None:
    from django.conf import settings
    from django.db import connection

    connection.creation.destroy_test_db(settings.DATABASES["default"]["NAME"], verbosity=0)


class StubShopify:
    """Just enough of a Shopify adapter to list one paid payout."""

    def __init__(self, payout: Any) -> None:
        self.payout = payout

    def fetch_payouts(self, *, since: date | None, cursor: str | None = None) -> Any:
        from channels.adapters.base import Page

        return Page([self.payout])

    def fetch_order(self, external_id: str) -> Any:
        raise AssertionError(f"order {external_id} should be in the hub already")


def qbo_call(config: dict[str, Any], method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    response = requests.request(
        method,
        f"{config['base_url']}/v3/company/{config['realm_id']}/{path}",
        headers={"Authorization": f"Bearer {config['access_token']}", "Accept": "application/json"},
        params={"minorversion": "75", **kwargs.pop("params", {})},
        timeout=60,
        **kwargs,
    )
    response.raise_for_status()
    return response.json()


def api_calls(config: dict[str, Any]) -> dict[str, int]:
    calls = requests.get(config["base_url"] + "/_sandbox/state", timeout=10).json()["calls"]
    return {
        name: count for name, count in calls.items() if name in ("query", "read", "write", "batch", "cdc")
    }


def one_run(config: dict[str, Any], run: int, orders: int) -> dict[str, Any]:
    from channels.adapters.base import ExternalOrder, ExternalOrderLine, OrderStatus
    from channels.adapters.base import Payout as ExternalPayout
    from channels.models import Connection, ConnectionKind, ConnectionRole, ConnectionStatus, PostingMode
    from inventory_sync.demo import sandbox_quickbooks_credentials
    from inventory_sync.models import Item, ItemType, Merchant, Posting, Reservation, ReservationState
    from inventory_sync.services import postings
    from inventory_sync.services.orders import order_apply_snapshots
    from inventory_sync.services.stock import MasterReading, apply_master_readings, check_counters

    sku = f"BENCH-BIN-{run}-{int(time.time())}"
    accounts = {
        a["Name"]: a["Id"]
        for a in qbo_call(config, "GET", "query", params={"query": "SELECT * FROM Account"})["QueryResponse"][
            "Account"
        ]
    }
    created = qbo_call(
        config,
        "POST",
        "item",
        json={
            "Name": f"Bench bin {sku}",
            "Sku": sku,
            "Type": "Inventory",
            "TrackQtyOnHand": True,
            "QtyOnHand": 100_000,
            "InvStartDate": (datetime.now(UTC) - timedelta(days=30)).date().isoformat(),
            "IncomeAccountRef": {"value": accounts["Sales of Product Income"]},
            "ExpenseAccountRef": {"value": accounts["Cost of Goods Sold"]},
            "AssetAccountRef": {"value": accounts["Inventory Asset"]},
            "UnitPrice": 12,
        },
    )["Item"]
    merchant = Merchant.objects.create(name=f"Bench {sku}", slug=sku.lower())
    Connection.objects.create(
        merchant=merchant,
        kind=ConnectionKind.QUICKBOOKS,
        role=ConnectionRole.MASTER,
        name="QuickBooks (emulator)",
        status=ConnectionStatus.ACTIVE,
        base_url=config["base_url"],
        external_account_id=config["realm_id"],
        credentials=sandbox_quickbooks_credentials(
            config, expires_at=(datetime.now(UTC) + timedelta(minutes=50)).isoformat()
        ),
    )
    shop = Connection.objects.create(
        merchant=merchant,
        kind=ConnectionKind.SHOPIFY,
        role=ConnectionRole.CHANNEL,
        name="Shopify (stub)",
        status=ConnectionStatus.ACTIVE,
        base_url="http://127.0.0.1:9",
        credentials={"access_token": "unused"},
        posting_mode=PostingMode.PAYOUT_SUMMARY,
        posting_customer_ref="1",
    )
    item = Item.objects.create(
        merchant=merchant, master_id=created["Id"], sku=sku, name=created["Name"], type=ItemType.INVENTORY
    )
    apply_master_readings(
        merchant=merchant,
        readings=[MasterReading(item.pk, Decimal(100_000), datetime(2026, 1, 1, tzinfo=UTC), "0")],
        source="bench",
    )

    started = time.perf_counter()
    when = datetime.now(UTC) - timedelta(days=1)
    ids = [f"{run}{n:07d}" for n in range(orders)]
    units = 0
    for start in range(0, orders, BATCH):
        snapshots = []
        for n, external_id in enumerate(ids[start : start + BATCH], start):
            quantity = 1 + n % 3
            units += quantity
            snapshots.append(
                ExternalOrder(
                    external_id=external_id,
                    number=f"#{n + 1001}",
                    status=OrderStatus.OPEN,
                    created_at=when,
                    updated_at=when,
                    lines=(
                        ExternalOrderLine(
                            external_id=f"{external_id}-1",
                            sku=sku,
                            barcode="",
                            title="Bench bin",
                            quantity=quantity,
                            unit_price=Decimal("12.00"),
                        ),
                    ),
                    financial_status="paid",
                    currency="USD",
                    total=Decimal(12 * quantity),
                )
            )
        order_apply_snapshots(connection=shop, snapshots=snapshots, source="bench")
    setup_seconds = time.perf_counter() - started
    item.refresh_from_db()
    assert item.reserved == units, (item.reserved, units)
    stub = StubShopify(
        ExternalPayout(
            external_id=f"9{run}{int(time.time())}",
            status="paid",
            date=datetime.now(UTC).date(),
            currency="USD",
            amount=Decimal(12 * units) - Decimal("0.30") * orders,
            order_external_ids=tuple(ids),
            fees=Decimal("0.30") * orders,
            gross_sales=Decimal(12 * units),
        )
    )
    [posting] = postings.sync_payouts(connection=shop, adapter=stub)  # type: ignore[arg-type]

    before = api_calls(config)
    with timed_steps() as steps:
        started = time.perf_counter()
        result = postings.run_posting(posting.pk, channel=stub)  # type: ignore[arg-type]
        seconds = time.perf_counter() - started
    after = api_calls(config)

    calls = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    calls = {name: count for name, count in calls.items() if count}
    assert result.status == "posted", (result.status, result.hold_reason, result.error)
    receipt = qbo_call(config, "GET", f"salesreceipt/{result.master_txn_id}")["SalesReceipt"]
    [line] = [li for li in receipt["Line"] if li["DetailType"] == "SalesItemLineDetail"]
    assert Decimal(str(line["SalesItemLineDetail"]["Qty"])) == units
    qbo_item = qbo_call(config, "GET", f"item/{created['Id']}")["Item"]
    item.refresh_from_db()
    assert Decimal(str(qbo_item["QtyOnHand"])) == 100_000 - units == item.master_on_hand
    assert item.reserved == 0
    assert not Reservation.objects.filter(item=item, state=ReservationState.OPEN).exists()
    assert Posting.objects.get(pk=posting.pk).orders_count == orders
    assert check_counters(merchant=merchant) == []
    return {
        "orders": orders,
        "units": units,
        "setup_seconds": round(setup_seconds, 1),
        "posting_seconds": round(seconds, 3),
        "quickbooks_calls": sum(calls.values()),
        "calls_by_endpoint": calls,
        "steps_seconds": {name: round(value, 3) for name, value in steps.items()},
    }


@contextlib.contextmanager
def timed_steps() -> Iterator[dict[str, float]]:
    """Time the three parts of a posting: planning (reading orders and reservations), the
    QuickBooks calls, and the local commit (closing reservations, setting master_on_hand)."""
    from channels.adapters.quickbooks.adapter import QuickBooksAdapter
    from inventory_sync.services import postings

    steps: dict[str, float] = {"plan": 0.0, "quickbooks": 0.0, "local_commit": 0.0}
    patched = [
        (postings, "plan_posting", "plan"),
        (postings, "_finish", "local_commit"),
        (QuickBooksAdapter, "post_sale", "quickbooks"),
        (QuickBooksAdapter, "fetch_items_by_id", "quickbooks"),
    ]
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in patched]

    def timing(func: Any, step: str) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                steps[step] += time.perf_counter() - started

        return run

    for (owner, name, step), (_, _, func) in zip(patched, originals, strict=True):
        setattr(owner, name, timing(func, step))
    try:
        yield steps
    finally:
        for owner, name, func in originals:
            setattr(owner, name, func)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=15_001)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    process, sandbox = start_sandbox(
        "--only", "quickbooks", "--quickbooks-port", "0", "--option", "quickbooks.requests_per_minute=0"
    )
    config = sandbox["quickbooks"]
    throwaway_database("bench_payout_posting")
    from django.db import connection

    try:
        runs = []
        for run in range(1, args.runs + 1):
            result = one_run(config, run, args.orders)
            runs.append(result)
            print(
                f"run {run}: {result['orders']:,} orders, {result['units']:,} units posted in "
                f"{result['posting_seconds']:.2f} s with {result['quickbooks_calls']} QuickBooks call(s) "
                f"{result['calls_by_endpoint']}; steps {result['steps_seconds']} "
                f"(setup {result['setup_seconds']:.0f} s)",
                flush=True,
            )
    finally:
        vendor = connection.vendor
        drop_database()
        stop(process)

    seconds = [r["posting_seconds"] for r in runs]
    calls = max(r["quickbooks_calls"] for r in runs)
    summary = {
        "orders": args.orders,
        "runs": runs,
        "median_posting_seconds": round(statistics.median(seconds), 3),
        "max_quickbooks_calls": calls,
        "database": vendor,
        "machine": machine(),
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path = save("payout_posting", summary)
    print()
    print("| orders in the payout | units | QuickBooks calls | posting time, median | runs | database |")
    print("| ---: | ---: | ---: | ---: | --- | --- |")
    print(
        f"| {args.orders:,} | {runs[0]['units']:,} | {calls} | {statistics.median(seconds):.2f} s | "
        f"{' / '.join(f'{s:.2f}' for s in seconds)} | {vendor} |"
    )
    print(f"\nwritten to {path}")
    if calls > 3:
        raise SystemExit(f"FAILED: {calls} QuickBooks calls, the limit is 3")


if __name__ == "__main__":
    main()
