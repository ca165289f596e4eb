"""Issue 5's figures, measured side by side in one run on PostgreSQL and Redis with 2 workers:

1. sale-to-every-channel latency (webhook received -> last other channel written) at 50 orders per
   second sustained: p50 and p99 (goal: p99 <= 2 s);
2. ingestion throughput of orders with 3 lines each (goal: >= 300 orders/s), with zero lost and
   zero counted twice, checked against the emulators' own records: end to end over HTTP, and the
   workers' processing alone (webhooks received with the workers stopped, then drained, timed
   from the moment both workers are up);
3. channel write calls per changed listing, against ceil(N / batch) and a naive one call per
   listing baseline run in the same benchmark.

The layout is production's: gunicorn (2 gthread workers) serving the hub, 2 `rqworker` processes
(HubWorker), PostgreSQL, Redis, the three sandbox platforms in their own process, shoppers in this
process. Everything shares the machine's 2 cores. Run:
    .venv/bin/python bench/sync_engine.py [--quick]
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import os
import random
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DB_NAME = "bench_hub"
ENV = {
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
    "REDIS_URL": "redis://127.0.0.1:6379/14",
    "SECRET_KEY": "bench-secret-key-" + "x" * 40,
    "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "PUSH_DEBOUNCE_SECONDS": "0.2",
    "LOG_LEVEL": "WARNING",
    "RQ_LOG_LEVEL": "WARNING",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
}
os.environ.update(ENV)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_sync.settings")

from common import fresh_database, machine, median, percentile, save, start_sandbox, stop  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def spawn(*args: str) -> subprocess.Popen:
    """A hub process; with BENCH_LOGS=<folder> its output goes to a file there."""
    logs = os.environ.get("BENCH_LOGS")
    if not logs:
        return subprocess.Popen(
            args, cwd=ROOT, env=os.environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    name = args[2] if len(args) > 2 else "process"
    with open(f"{logs}/{name}-{time.time_ns()}.log", "w") as out:
        return subprocess.Popen(args, cwd=ROOT, env=os.environ, stdout=out, stderr=subprocess.STDOUT)


def start_workers(count: int = 2) -> list[subprocess.Popen]:
    from django.conf import settings

    return [
        spawn(
            sys.executable,
            "manage.py",
            "rqworker",
            *settings.QUEUE_NAMES,
            "--worker-class",
            "inventory_sync.queueing.HubWorker",
        )
        for _ in range(count)
    ]


def workers_registered(workers: list[subprocess.Popen]) -> bool:
    import django_rq
    from rq import Worker

    running = {worker.pid for worker in Worker.all(connection=django_rq.get_connection("webhooks"))}
    return {process.pid for process in workers} <= running


def stop_all(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_until(check, timeout: float, what: str, poll: float = 0.2) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        time.sleep(poll)
    raise SystemExit(f"timed out after {timeout} s waiting for {what}")


# ------------------------------------------------------------------------------------------
# Setup


def setup(config: dict, hub_url: str):
    import django

    django.setup()
    import requests

    from channels.adapters.base import platform
    from channels.connections import ConnectionTokenProvider
    from inventory_sync.demo import connect_demo
    from inventory_sync.models import Merchant

    merchant = Merchant.objects.create(name="Bench Homewares", slug="bench")
    connect_demo(merchant=merchant, sandbox=config, hub_url=hub_url, log=lambda *_: None)
    # Plenty of stock everywhere: one bill of 100,000 units per inventory item.
    from channels.models import Connection

    master = Connection.objects.get(merchant=merchant, kind="quickbooks")
    token = ConnectionTokenProvider(master.pk, platform("quickbooks").refresher).access_token()
    base = f"{master.base_url}/v3/company/{master.external_account_id}"
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    items = requests.get(
        base + "/query",
        params={"query": "select * from Item where Type = 'Inventory' maxresults 1000"},
        headers=headers,
        timeout=30,
    ).json()["QueryResponse"]["Item"]
    vendor = requests.get(
        base + "/query", params={"query": "select * from Vendor"}, headers=headers, timeout=30
    ).json()["QueryResponse"]["Vendor"][0]
    lines = [
        {
            "DetailType": "ItemBasedExpenseLineDetail",
            "Amount": 100000.0,
            "ItemBasedExpenseLineDetail": {"ItemRef": {"value": i["Id"]}, "Qty": 100000, "UnitPrice": 1.0},
        }
        for i in items
    ]
    requests.post(
        base + "/bill",
        params={"requestid": "bench-stock"},
        headers=headers,
        json={"VendorRef": {"value": vendor["Id"]}, "Line": lines},
        timeout=60,
    ).raise_for_status()
    return merchant


def settled(merchant) -> bool:
    from channels.models import EventStatus, Listing, WebhookEvent
    from inventory_sync.queueing import get_queue

    if WebhookEvent.objects.filter(merchant=merchant, status=EventStatus.PENDING).exists():
        return False
    if Listing.objects.filter(merchant=merchant, push_pending=True).exists():
        return False
    return all(get_queue(q).count == 0 for q in ("push", "webhooks"))


def storefronts(config):
    from channels.sandbox.shopper import storefronts_from_config

    return storefronts_from_config(config)


def matched_skus(merchant) -> list[str]:
    """SKUs listed and matched on both channels (a sale of them must reach the other)."""
    from channels.models import Listing

    per_sku = defaultdict(set)
    for sku, kind in Listing.objects.filter(merchant=merchant, item__isnull=False, tracked=True).values_list(
        "sku", "connection__kind"
    ):
        per_sku[sku].add(kind)
    return sorted(sku for sku, kinds in per_sku.items() if kinds == {"shopify", "woocommerce"})


# ------------------------------------------------------------------------------------------
# 1. Latency


def latencies(merchant, since) -> list[float]:
    """Per order placed after `since`: from its webhook being received to the end of the first
    push round, on every other channel listing its items, that read after its reservation."""
    from channels.models import Connection, Listing, PushRound, WebhookEvent
    from inventory_sync.models import MovementKind, StockMovement

    channels = {c.pk: c for c in Connection.objects.filter(merchant=merchant, role="channel")}
    rounds = defaultdict(list)
    for connection_id, read_at, finished_at in (
        PushRound.objects.filter(merchant=merchant, read_at__gte=since)
        .order_by("read_at")
        .values_list("connection_id", "read_at", "finished_at")
    ):
        rounds[connection_id].append((read_at, finished_at))
    reads = {cid: [r for r, _ in rows] for cid, rows in rounds.items()}
    listed = defaultdict(set)  # connection -> items it lists (tracked)
    for connection_id, item_id in Listing.objects.filter(
        merchant=merchant, tracked=True, item__isnull=False
    ).values_list("connection_id", "item_id"):
        listed[connection_id].add(item_id)
    received = {}  # (connection, order external id) -> first receive time
    for connection_id, received_at, body, topic in WebhookEvent.objects.filter(
        merchant=merchant, received_at__gte=since
    ).values_list("connection_id", "received_at", "body", "topic"):
        if topic not in ("orders/create", "order.created"):
            continue
        key = (connection_id, str(json.loads(body)["id"]))
        received[key] = min(received.get(key, received_at), received_at)
    reserved = defaultdict(list)  # (connection, order id) -> [(item, time)]
    for connection_id, external_id, item_id, created_at in StockMovement.objects.filter(
        merchant=merchant, kind=MovementKind.RESERVE, created_at__gte=since
    ).values_list(
        "reservation__line__order__connection_id",
        "reservation__line__order__external_id",
        "item_id",
        "created_at",
    ):
        reserved[(connection_id, external_id)].append((item_id, created_at))
    out = []
    for key, t_received in received.items():
        ends = []
        for item_id, t_reserved in reserved.get(key, []):
            for connection_id in channels:
                if connection_id == key[0] or item_id not in listed[connection_id]:
                    continue
                index = bisect.bisect_left(reads.get(connection_id, []), t_reserved)
                if index >= len(rounds[connection_id]):
                    ends = None
                    break
                ends.append(rounds[connection_id][index][1])
            if ends is None:
                break
        if ends:
            out.append((max(ends) - t_received).total_seconds())
    return out


def run_latency(merchant, config, *, rate: float, seconds: float) -> dict:
    from django.utils import timezone

    from channels.sandbox.shopper import Shopper

    since = timezone.now()
    shopper = Shopper(
        storefronts(config),
        skus=matched_skus(merchant),
        rate=rate,
        lines=(1, 3),
        quantity=(1, 2),
        threads=8,
        seed=random.randrange(10**6),
    )
    stats = shopper.run(duration=seconds)
    wait_until(lambda: settled(merchant), 120, "the hub to settle")
    values = latencies(merchant, since)
    placed = sum(stats.placed.values())
    return {
        "orders": placed,
        "achieved_rate": placed / seconds,
        "measured": len(values),
        "p50": percentile(values, 50),
        "p99": percentile(values, 99),
        "max": max(values) if values else float("nan"),
    }


# ------------------------------------------------------------------------------------------
# 2. Ingestion


def hub_counts(merchant):
    from django.db.models import Count, Sum

    from inventory_sync.models import Order, Reservation

    orders = Counter(
        dict(
            Order.objects.filter(merchant=merchant)
            .values("connection__kind")
            .annotate(n=Count("pk"))
            .values_list("connection__kind", "n")
        )
    )
    units = dict(
        Reservation.objects.filter(merchant=merchant, state="open")
        .values("item__sku")
        .annotate(u=Sum("quantity"))
        .values_list("item__sku", "u")
    )
    return orders, units


def run_ingestion(merchant, config, *, orders: int, workers_running: bool) -> dict:
    """Place `orders` orders with exactly 3 lines, as fast as the shoppers manage."""
    from django.utils import timezone

    from channels.models import WebhookEvent
    from channels.sandbox.shopper import Shopper
    from inventory_sync.models import Order

    before_orders = Order.objects.filter(merchant=merchant).count()
    _, before_units = hub_counts(merchant)
    since = timezone.now()
    shopper = Shopper(
        storefronts(config),
        skus=matched_skus(merchant),
        rate=1000,
        lines=(3, 3),
        quantity=(1, 1),
        threads=16,
        seed=random.randrange(10**6),
    )
    started = time.monotonic()
    stats = shopper.run(orders=orders)
    placing = time.monotonic() - started
    placed = sum(stats.placed.values())
    result = {"orders": placed, "shoppers_rate": placed / placing}
    if not workers_running:
        # Everything received and stored, nothing processed: then the workers drain it. The
        # sandboxes deliver webhooks from their own threads, and WooCommerce sends an
        # order.updated after each order.created: wait until no more arrive for a second.
        received = quiet_count(
            lambda: WebhookEvent.objects.filter(merchant=merchant, received_at__gte=since).count(),
            at_least=placed,
        )
        last_before = (
            Order.objects.filter(merchant=merchant).order_by("-pk").values_list("pk", flat=True).first()
        )
        new_orders = Order.objects.filter(merchant=merchant, pk__gt=last_before or 0)
        workers = start_workers(2)
        boot_start = time.monotonic()
        try:
            # The drain is timed from the moment both workers are up (registered in Redis, which
            # RQ does right before its work loop): starting a Python process and importing
            # Django is not processing, and production workers are already running.
            wait_until(lambda: workers_registered(workers), 60, "the workers to start", poll=0.01)
            drain_start = time.monotonic()
            boot = drain_start - boot_start
            # Polled on the new orders' primary-key range: cheap, so the poll takes little
            # from the workers it times.
            wait_until(lambda: new_orders.count() >= placed, 300, "every order processed", poll=0.02)
            drained = time.monotonic() - drain_start
            wait_until(lambda: settled(merchant), 300, "the hub to settle")
        finally:
            stop_all(workers)
        result.update(
            webhooks=received,
            workers_boot_seconds=boot,
            processing_seconds=drained,
            processing_rate=placed / drained,
        )
    else:
        wait_until(
            lambda: Order.objects.filter(merchant=merchant).count() >= before_orders + placed,
            300,
            "every order processed",
        )
        first = (
            WebhookEvent.objects.filter(merchant=merchant, received_at__gte=since)
            .order_by("received_at")
            .first()
        )
        last = Order.objects.filter(merchant=merchant).order_by("-created_at").first()
        elapsed = (last.created_at - first.received_at).total_seconds()
        result.update(end_to_end_seconds=elapsed, end_to_end_rate=placed / elapsed)
        wait_until(lambda: settled(merchant), 300, "the hub to settle")
    # Zero lost, zero counted twice: the hub's orders and reserved units against what the
    # emulators accepted (the shoppers' accepted orders are the emulators' own answers).
    _, after_units = hub_counts(merchant)
    sold = Counter()
    for (_, sku), quantity in stats.units.items():
        sold[sku] += quantity
    hub_new = {sku: after_units.get(sku, 0) - before_units.get(sku, 0) for sku in sold}
    result["lost_or_double"] = {
        sku: float(hub_new[sku] - sold[sku]) for sku in sold if hub_new[sku] != sold[sku]
    }
    result["orders_in_hub"] = Order.objects.filter(merchant=merchant).count() - before_orders
    result["emulator_orders"] = emulator_order_counts(config)
    return result


def quiet_count(count, *, at_least: int, quiet: float = 1.0, timeout: float = 120) -> int:
    """Poll `count()` until it is at least `at_least` and has not changed for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        now = count()
        if now != last:
            last, since = now, time.monotonic()
        elif now >= at_least and time.monotonic() - since >= quiet:
            return now
        time.sleep(0.1)
    raise SystemExit(f"timed out after {timeout} s waiting for every webhook to be received ({last} so far)")


def emulator_order_counts(config) -> dict:
    import requests

    shop, woo = config["shopify"], config["woocommerce"]
    shopify = requests.get(
        f"{shop['base_url']}/admin/api/2026-10/orders/count.json",
        params={"status": "any"},
        headers={"X-Shopify-Access-Token": shop["access_token"]},
        timeout=30,
    ).json()["count"]
    woocommerce = int(
        requests.get(
            f"{woo['base_url']}/wp-json/wc/v3/orders",
            params={"per_page": 1},
            auth=(woo["consumer_key"], woo["consumer_secret"]),
            timeout=30,
        ).headers["X-WP-Total"]
    )
    return {"shopify": shopify, "woocommerce": woocommerce}


# ------------------------------------------------------------------------------------------
# 3. Write calls per changed listing


def run_write_calls(merchant, config, sizes=(1, 40)) -> list[dict]:
    """Change N items' availability and push; count the platforms' write calls; then the naive
    baseline: the same N quantities written one listing per call through the same adapter.
    Runs with the workers stopped, so that the only pushes are the ones counted here."""
    import requests
    from django.utils import timezone

    from channels.adapters.base import StockUpdate
    from channels.connections import channel_adapter
    from channels.models import Connection, Listing
    from channels.push import push_connection, push_quantity
    from inventory_sync.models import Item
    from inventory_sync.services.stock import MasterReading, apply_master_readings

    rows = []
    for kind, _operation, batch in (
        ("shopify", "inventorySetQuantities", 250),
        ("woocommerce", "products_batch", 100),
    ):
        connection = Connection.objects.get(merchant=merchant, kind=kind)
        url = config[kind]["base_url"] + "/_sandbox/state"
        for size in sizes:
            listings = list(
                Listing.objects.filter(connection=connection, tracked=True, item__isnull=False)
                .select_related("item")
                .order_by("pk")[:size]
            )
            if len(listings) < size:
                continue
            items = [listing.item for listing in listings]
            # Change every item's master quantity (the same for both channels), then push only this one.
            now = timezone.now()
            Connection.objects.filter(merchant=merchant, role="channel").exclude(pk=connection.pk).update(
                sync_inventory=False
            )
            apply_master_readings(
                merchant=merchant,
                readings=[
                    MasterReading(
                        i.pk,
                        i.master_on_hand - 1,
                        now + timedelta(seconds=1),
                        str(int(i.sync_token or 0) + 1),
                    )
                    for i in items
                ],
                source="bench",
            )
            before = requests.get(url, timeout=30).json()
            started = time.monotonic()
            summary = push_connection(connection.pk)
            batched_seconds = time.monotonic() - started
            after = requests.get(url, timeout=30).json()
            calls = _write_calls(after, kind) - _write_calls(before, kind)
            # Naive baseline: one call per listing through the same adapter, writing the very
            # quantities the batched push just wrote (so the channel ends as the hub expects).
            adapter = channel_adapter(connection)
            started = time.monotonic()
            for listing in listings:
                available = Item.objects.get(pk=listing.item_id).available
                adapter.push_stock(
                    [
                        StockUpdate(
                            listing.external_id,
                            push_quantity(available=available, connection=connection),
                            None,
                            listing.inventory_item_id,
                            listing.location_id or connection.location_id,
                        )
                    ],
                    idempotency_key=f"naive-{time.time()}",
                )
            naive_seconds = time.monotonic() - started
            naive_calls = _write_calls(requests.get(url, timeout=30).json(), kind) - _write_calls(after, kind)
            Connection.objects.filter(merchant=merchant, role="channel").update(sync_inventory=True)
            rows.append(
                {
                    "channel": kind,
                    "changed": size,
                    "written": summary.written,
                    "write_calls": calls,
                    "bound": _write_bound(kind, listings, batch),
                    "naive_calls": naive_calls,
                    "batched_seconds": batched_seconds,
                    "naive_seconds": naive_seconds,
                }
            )
    return rows


def _write_bound(kind: str, listings: list, batch: int) -> int:
    """ceil(N / batch) per batch endpoint: Shopify has one; WooCommerce writes simple products
    through products/batch and each parent's variations through its own variations/batch."""
    if kind == "shopify":
        return math.ceil(len(listings) / batch)
    from channels.adapters.woocommerce.adapter import parse_listing_id

    groups = Counter()
    for listing in listings:
        product, variation = parse_listing_id(listing.external_id)
        groups[product if variation else None] += 1
    return sum(math.ceil(n / batch) for n in groups.values())


def _write_calls(state: dict, kind: str) -> int:
    if kind == "shopify":
        return state["operations"].get("inventorySetQuantities", 0)
    return sum(n for endpoint, n in state["calls"].items() if "batch" in endpoint)


# ------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="shorter runs, for trying the script")
    args = parser.parse_args()
    runs = 1 if args.quick else 3
    seconds = 10 if args.quick else 20
    ingest_orders = 300 if args.quick else 1500

    fresh_database(DB_NAME)
    redis = __import__("redis").Redis.from_url(ENV["REDIS_URL"])
    redis.flushdb()
    sandbox, config = start_sandbox(
        "--quickbooks-port",
        "0",
        "--shopify-port",
        "0",
        "--woocommerce-port",
        "0",
        "--option",
        "shopify.rest_leak_rate=0",
        "--option",
        "quickbooks.requests_per_minute=0",
        "--threads",
        "32",
    )
    port = free_port()
    hub_url = f"http://127.0.0.1:{port}"
    os.environ["PUBLIC_BASE_URL"] = hub_url
    web = spawn(
        sys.executable,
        "-m",
        "gunicorn",
        "inventory_sync.wsgi",
        "-k",
        "gthread",
        "-w",
        "2",
        "--threads",
        "8",
        "-b",
        f"127.0.0.1:{port}",
        "--access-logfile",
        "-",
        "--log-level",
        "warning",
    )
    workers: list[subprocess.Popen] = []
    try:
        time.sleep(2)
        merchant = setup(config, hub_url)
        workers = start_workers(2)
        wait_until(lambda: settled(merchant), 300, "the first push")

        latency_runs = [run_latency(merchant, config, rate=50, seconds=seconds) for _ in range(runs)]
        for run in latency_runs:
            print(f"latency at 50 orders/s: {run}")

        end_to_end = [
            run_ingestion(merchant, config, orders=ingest_orders, workers_running=True) for _ in range(runs)
        ]
        for run in end_to_end:
            print(f"ingestion end to end: {run}")
        stop_all(workers)
        workers = []
        processing = [
            run_ingestion(merchant, config, orders=ingest_orders, workers_running=False) for _ in range(runs)
        ]
        for run in processing:
            print(f"ingestion processing: {run}")
        write_calls = run_write_calls(merchant, config)
        for row in write_calls:
            print(f"write calls: {row}")
    finally:
        stop_all([*workers, web])
        stop(sandbox)
    summary = {
        "latency_p50_s": median([r["p50"] for r in latency_runs]),
        "latency_p99_s": median([r["p99"] for r in latency_runs]),
        "end_to_end_orders_per_s": median([r["end_to_end_rate"] for r in end_to_end]),
        "processing_orders_per_s": median([r["processing_rate"] for r in processing]),
        "lost_or_double": [r["lost_or_double"] for r in end_to_end + processing],
    }
    print(json.dumps(summary, indent=2, default=str))
    save(
        "sync_engine",
        {
            "machine": machine(),
            "summary": summary,
            "latency": latency_runs,
            "ingestion_end_to_end": end_to_end,
            "ingestion_processing": processing,
            "write_calls": write_calls,
        },
    )


if __name__ == "__main__":
    main()
