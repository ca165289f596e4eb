"""One worker process applying stored order webhooks: how many 3-line orders per second the inbox
processing itself reaches, with no HTTP, no other process and no load generator on the cores.

This is the component under issue 5's ingestion figure (`sync_engine.py` measures the whole
system); it isolates the Python and SQL cost of `channels.webhooks.process_batch` so changes to
the order path can be compared side by side. Stored deliveries (Shopify `orders/create`, 3 lines
each over 200 stocked items) are processed in batches of INBOX_BATCH, as `process_inbox` does,
on PostgreSQL and Redis. Every run starts from a fresh copy of the same events.
    .venv/bin/python bench/inbox_batch.py [--orders 2000] [--runs 3] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DB_NAME = "bench_inbox"
os.environ.update(
    {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        "REDIS_URL": "redis://127.0.0.1:6379/13",
        "SECRET_KEY": "bench-secret-key-" + "x" * 40,
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "LOG_LEVEL": "WARNING",
    }
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_sync.settings")

from common import fresh_database, machine, median, save  # noqa: E402

ITEMS = 200


def order_body(order_id: int, skus: list[str]) -> str:
    stamp = "2026-11-20T10:00:00+00:00"
    return json.dumps(
        {
            "id": order_id,
            "name": f"#{order_id}",
            "created_at": stamp,
            "updated_at": stamp,
            "currency": "USD",
            "total_price": "30.00",
            "financial_status": "paid",
            "fulfillment_status": None,
            "cancelled_at": None,
            "line_items": [
                {"id": order_id * 10 + n, "sku": sku, "title": sku, "quantity": 1, "price": "10.00"}
                for n, sku in enumerate(skus)
            ],
            "refunds": [],
        }
    )


def setup(orders: int):
    from channels.models import Connection, ConnectionKind, ConnectionRole, ConnectionStatus
    from inventory_sync.models import Item, Merchant
    from inventory_sync.models.items import normalize_code
    from inventory_sync.services.stock import MasterReading, apply_master_readings

    merchant = Merchant.objects.create(name="Bench inbox")
    connection = Connection.objects.create(
        merchant=merchant,
        kind=ConnectionKind.SHOPIFY,
        role=ConnectionRole.CHANNEL,
        name="Bench shop",
        status=ConnectionStatus.ACTIVE,
        base_url="http://127.0.0.1:9/",
        credentials={"access_token": "bench"},
        webhook_secret="bench",
        sync_inventory=False,  # no pushes: this measures the order path alone
    )
    skus = [f"SKU-{n:04d}" for n in range(ITEMS)]
    items = Item.objects.bulk_create(
        [
            Item(merchant=merchant, name=sku, sku=sku, sku_normalized=normalize_code(sku), master_id=str(n))
            for n, sku in enumerate(skus)
        ]
    )
    apply_master_readings(
        merchant=merchant,
        readings=[
            MasterReading(item.pk, Decimal(1_000_000), datetime(2026, 1, 1, tzinfo=UTC), "0")
            for item in items
        ],
        source="bench:seed",
    )
    rng = random.Random(5)
    bodies = [order_body(10_000 + n, rng.sample(skus, 3)) for n in range(orders)]
    return connection, bodies


def one_run(connection, bodies: list[str], run: int, profile: cProfile.Profile | None) -> dict:
    from channels.connections import adapter_for
    from channels.models import EventStatus, WebhookEvent
    from channels.webhooks import INBOX_BATCH, process_batch
    from inventory_sync.models import Order, OrderLine, Reservation

    # Each run applies new orders (ids offset per run), as a burst would.
    offset = run * 1_000_000
    WebhookEvent.objects.bulk_create(
        [
            WebhookEvent(
                merchant_id=connection.merchant_id,
                connection=connection,
                delivery_key=f"run{run}-{n}",
                topic="orders/create",
                headers={"x-shopify-topic": "orders/create"},
                body=json.dumps(_shifted(json.loads(body), offset)),
            )
            for n, body in enumerate(bodies)
        ]
    )
    adapter = adapter_for(connection)
    pending = WebhookEvent.objects.filter(connection=connection, status=EventStatus.PENDING)
    started = time.perf_counter()
    if profile:
        profile.enable()
    batches = 0
    while True:
        events = list(pending.order_by("id")[:INBOX_BATCH])
        if not events:
            break
        process_batch(connection, adapter, events)
        batches += 1
    if profile:
        profile.disable()
    elapsed = time.perf_counter() - started
    created = Order.objects.filter(connection=connection, external_id__gte=str(offset)).count()
    failed = WebhookEvent.objects.filter(connection=connection, status=EventStatus.FAILED).count()
    if failed:
        raise SystemExit(f"{failed} events failed")
    lines = OrderLine.objects.filter(connection=connection).count()
    reservations = Reservation.objects.filter(merchant_id=connection.merchant_id).count()
    if created != len(bodies) or reservations != lines:
        raise SystemExit(f"{created} orders of {len(bodies)}, {reservations} reservations for {lines} lines")
    return {
        "orders": len(bodies),
        "batches": batches,
        "seconds": round(elapsed, 3),
        "orders_per_second": round(len(bodies) / elapsed, 1),
        "orders_in_db": created,
        "lines": lines,
        "reservations": reservations,
    }


def _shifted(order: dict, offset: int) -> dict:
    order["id"] += offset
    order["name"] = f"#{order['id']}"
    for line in order["line_items"]:
        line["id"] += offset * 10
    return order


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print where the time goes")
    args = parser.parse_args()

    fresh_database(DB_NAME)
    import django

    django.setup()
    from inventory_sync.services.stock import check_counters

    connection, bodies = setup(args.orders)
    profile = cProfile.Profile() if args.profile else None
    runs = []
    for run in range(1, args.runs + 1):
        result = one_run(connection, bodies, run, profile)
        runs.append(result)
        print(f"run {run}: {result['orders_per_second']} orders/s ({result['seconds']} s)", flush=True)
    differences = check_counters(merchant=connection.merchant_id)
    if differences:
        raise SystemExit(f"counters differ from the ledger: {differences}")
    orders_per_second = median([r["orders_per_second"] for r in runs])
    print(f"median: {orders_per_second} orders/s of 3 lines, one process, batches of 200")
    save(
        "inbox_batch",
        {
            "machine": machine(),
            "orders_per_run": args.orders,
            "runs": runs,
            "median_orders_per_second": orders_per_second,
        },
    )
    if profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    main()
