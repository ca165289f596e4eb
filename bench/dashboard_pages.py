"""Issue 7's figure: with 100,000 items and 10,000 order lines waiting in the staging area, the
items page and the staging page answer in at most 150 ms at p95.

A PostgreSQL database of its own (`bench_dashboard` on DATABASE_URL's server, created if missing
and seeded once: rerun with --reseed to rebuild it) holds one merchant with 100,000 items (bulk
inserted; the stock counters are set directly, since this measures reads), a QuickBooks master and
2 channels listing about 90% of the items each, 20,000 orders with 30,000 live or posted lines, and
10,000 staged lines over about 2,000 product codes. The app is served by gunicorn (2 sync
workers, DEBUG off) in its own process; one client signed in with a session cookie GETs each page
variant 20 times to warm up, then 200 times, timing each response in full. p50 and p95 per page,
3 runs, the median of the runs. The overview, orders and drifted-listings pages are measured too,
for information (the goal is the items and staging pages').

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/dashboard_pages.py
[--reseed]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

import requests
from common import ROOT, machine, median, percentile, save, stop

RUNS = 3
WARMUP = 20
REQUESTS = 200
GOAL_P95_MS = 150.0
ITEMS = 100_000
LISTED_SHARE = 0.9
ORDERS = 20_000
STAGED_LINES = 10_000
STAGED_CODES = 2_000
MERCHANT_SLUG = "bench-dashboard"
USERNAME, PASSWORD = "bench-owner", "bench-dashboard-password-42"

MATERIALS = "steel brass oak walnut bamboo glass ceramic linen cotton wool copper marble slate pine".split()
THINGS = (
    "hook shelf lamp basket tray bin lid jar mug bowl rack hanger cushion throw mat frame clock vase "
    "planter candle holder rail knob towel"
).split()
SIZES = ["small", "medium", "large", "pack of 4", "pack of 10", "set of 2"]


def database_url() -> str:
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    if not base.startswith(("postgres://", "postgresql://")):
        sys.exit("this benchmark needs PostgreSQL: set DATABASE_URL=postgres://... (any database on it)")
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path="/bench_dashboard"))


def ensure_database(url: str) -> None:
    import psycopg

    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'bench_dashboard'").fetchone():
            conn.execute("CREATE DATABASE bench_dashboard")


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_sync.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed(*, reseed: bool) -> dict:
    """The merchant and its rows; returns what the page variants need (connection ids, terms)."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from channels.models import Connection, ConnectionKind, ConnectionRole, ConnectionStatus, Listing
    from inventory_sync.models import Item, LineState, Membership, Merchant, Order, OrderLine, OrderStatus

    merchant = Merchant.objects.filter(slug=MERCHANT_SLUG).first()
    if merchant and reseed:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM inventory_sync_orderline WHERE merchant_id = %s", [merchant.pk])
            cursor.execute("DELETE FROM inventory_sync_order WHERE merchant_id = %s", [merchant.pk])
            cursor.execute("DELETE FROM channels_listing WHERE merchant_id = %s", [merchant.pk])
            cursor.execute("DELETE FROM inventory_sync_item WHERE merchant_id = %s", [merchant.pk])
            cursor.execute("DELETE FROM channels_connection WHERE merchant_id = %s", [merchant.pk])
        merchant.delete()
        merchant = None
    user, _ = get_user_model().objects.get_or_create(username=USERNAME)
    user.set_password(PASSWORD)
    user.save()
    if merchant is not None and Item.objects.filter(merchant=merchant).count() == ITEMS:
        print("reusing the seeded database (--reseed rebuilds it)")
        return describe(merchant)

    started = time.monotonic()
    rng = random.Random(7)
    with transaction.atomic():
        merchant = Merchant.objects.create(name="Bench Homewares", slug=MERCHANT_SLUG)
        Membership.objects.create(user=user, merchant=merchant, role="owner")
        now = datetime.now(UTC)
        Connection.objects.create(
            merchant=merchant,
            kind=ConnectionKind.QUICKBOOKS,
            role=ConnectionRole.MASTER,
            name="QuickBooks",
            base_url="http://127.0.0.1:9/",
            status=ConnectionStatus.ACTIVE,
            last_success_at=now,
        )
        channels = [
            Connection.objects.create(
                merchant=merchant,
                kind=kind,
                role=ConnectionRole.CHANNEL,
                name=name,
                base_url="http://127.0.0.1:9/",
                status=ConnectionStatus.ACTIVE,
                sync_inventory=True,
                last_success_at=now,
            )
            for kind, name in (
                (ConnectionKind.SHOPIFY, "Shopify"),
                (ConnectionKind.WOOCOMMERCE, "WooCommerce"),
            )
        ]

    items: list[Item] = []
    for start in range(0, ITEMS, 5000):
        batch = []
        for n in range(start, min(start + 5000, ITEMS)):
            sku = f"{rng.choice(THINGS)[:4].upper()}-{n:06d}"
            on_hand = rng.randint(0, 200) if rng.random() > 0.05 else 0
            batch.append(
                Item(
                    merchant=merchant,
                    sku=sku,
                    sku_normalized=sku,
                    name=f"{rng.choice(MATERIALS).title()} {rng.choice(THINGS)}, {rng.choice(SIZES)}",
                    barcode=f"{400000000000 + n}",
                    barcode_normalized=f"{400000000000 + n}",
                    master_id=str(n + 1),
                    master_on_hand=Decimal(on_hand),
                    reserved=Decimal(rng.choice([0, 0, 0, 1, 2, 5])),
                    reorder_point=Decimal(rng.choice([5, 10, 20])) if rng.random() < 0.4 else None,
                )
            )
        items += Item.objects.bulk_create(batch)
    print(f"  {len(items):,} items")

    listings = [
        Listing(
            merchant=merchant,
            connection=channel,
            external_id=f"{channel.pk}-{item.pk}",
            sku=item.sku,
            code_normalized=item.sku,
            title=item.name,
            item=item,
            last_pushed_qty=max(0, int(item.master_on_hand - item.reserved)),
            last_seen_qty=max(0, int(item.master_on_hand - item.reserved)),
            last_push_outcome="drift" if rng.random() < 0.002 else "ok",
        )
        for channel in channels
        for item in items
        if rng.random() < LISTED_SHARE
    ]
    Listing.objects.bulk_create(listings, batch_size=5000)
    print(f"  {len(listings):,} listings")

    t0 = datetime(2026, 9, 1, tzinfo=UTC)
    orders = Order.objects.bulk_create(
        (
            Order(
                merchant=merchant,
                connection=channels[n % 2],
                external_id=str(100000 + n),
                number=f"#{100000 + n}",
                status=OrderStatus.OPEN if n >= ORDERS - 3000 else OrderStatus.FULFILLED,
                channel_created_at=t0 + timedelta(minutes=5 * n),
                channel_updated_at=t0 + timedelta(minutes=5 * n),
            )
            for n in range(ORDERS)
        ),
        batch_size=5000,
    )
    lines = []
    for n, order in enumerate(orders):
        for k in range(1 + n % 2):
            item = items[rng.randrange(ITEMS)]
            lines.append(
                OrderLine(
                    merchant=merchant,
                    order=order,
                    connection_id=order.connection_id,
                    external_id=f"{order.external_id}-{k}",
                    product_code=item.sku,
                    code_normalized=item.sku,
                    item=item,
                    state=LineState.LIVE if order.status == OrderStatus.OPEN else LineState.POSTED,
                    quantity=rng.randint(1, 3),
                )
            )
    # Staged lines: codes the master does not know (typos, products listed before they exist),
    # about 5 lines each, spread over the orders.
    codes = [
        f"{rng.choice(THINGS)[:4].upper()}{rng.randrange(ITEMS):06d}-{rng.choice('ABX')}"
        for _ in range(STAGED_CODES)
    ]
    for n in range(STAGED_LINES):
        # A few codes sell a lot, most a little; each code is one channel's spelling.
        index = min(int(rng.expovariate(1 / 600)), STAGED_CODES - 1)
        code = codes[index]
        order = orders[rng.randrange(index % 2, ORDERS, 2)]
        lines.append(
            OrderLine(
                merchant=merchant,
                order=order,
                connection_id=order.connection_id,
                external_id=f"{order.external_id}-s{n}",
                product_code=code.lower() if n % 3 == 0 else code,
                code_normalized=code,
                title=f"Unmatched product {code}",
                state=LineState.STAGED,
                quantity=rng.randint(1, 4),
            )
        )
    OrderLine.objects.bulk_create(lines, batch_size=5000)
    print(f"  {len(orders):,} orders, {len(lines):,} lines ({STAGED_LINES:,} staged)")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"seeded in {time.monotonic() - started:.0f} s")
    return describe(merchant)


def describe(merchant) -> dict:
    from channels.models import Connection, Listing
    from inventory_sync.models import Item, LineState, OrderLine

    staged = OrderLine.objects.filter(merchant=merchant, state=LineState.STAGED)
    return {
        "shop": Connection.objects.get(merchant=merchant, name="Shopify").pk,
        "items": Item.objects.filter(merchant=merchant).count(),
        "listings": Listing.objects.filter(merchant=merchant).count(),
        "order_lines": OrderLine.objects.filter(merchant=merchant).count(),
        "staged_lines": staged.count(),
        "staged_codes": staged.values("connection_id", "code_normalized").distinct().count(),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(url: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "inventory_sync.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
            return process
        except requests.ConnectionError:
            time.sleep(0.2)
    stop(process)
    raise RuntimeError("gunicorn did not start")


def sign_in(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        f"{base}/accounts/login/",
        data={"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token, "next": "/"},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=10,
    )
    assert response.url.rstrip("/") == base, f"sign-in failed: {response.status_code} {response.url}"
    assert "sessionid" in session.cookies
    return session


def time_page(session: requests.Session, url: str, must_contain: str) -> list[float]:
    for _ in range(WARMUP):
        response = session.get(url, timeout=30)
        assert response.status_code == 200, (url, response.status_code)
        assert must_contain in response.text, (url, must_contain)
    times = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        response = session.get(url, timeout=30)
        _ = response.content
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return times


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]
    parser = argparse.ArgumentParser()
    parser.add_argument("--reseed", action="store_true", help="rebuild the benchmark's database")
    args = parser.parse_args()
    url = database_url()
    ensure_database(url)
    setup_django(url)
    data = seed(reseed=args.reseed)
    print(f"data: {data}")

    # (page, variant, path, text the answer must hold, whether issue 7's goal applies)
    pages = [
        ("items", "default (sorted by SKU)", "/items/", "Pushed to Shopify", True),
        ("items", "sorted by available", "/items/?sort=available", "Pushed to Shopify", True),
        ("items", "searched: 'lamp'", "/items/?q=lamp", "Pushed to Shopify", True),
        ("matching", "default (most units first)", "/matching/", "Add matching", True),
        ("matching", "one channel", f"/matching/?connection={data['shop']}", "Add matching", True),
        ("matching", "code contains 'HOOK'", "/matching/?q=HOOK", "Add matching", True),
        ("overview", "figures and connections", "/", "Needs attention", False),
        ("orders", "default (newest first)", "/orders/", "Fulfilment", False),
        ("listings", "drifted", "/listings/?outcome=drift", "Drifted", False),
    ]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_gunicorn(url, port)
    runs: dict[str, list[dict[str, float]]] = {path: [] for _, _, path, _, _ in pages}
    try:
        session = sign_in(base)
        for run in range(RUNS):
            for _, _, path, marker, _ in pages:
                times = time_page(session, base + path, marker)
                runs[path].append({"p50": percentile(times, 50), "p95": percentile(times, 95)})
            print(f"run {run + 1} of {RUNS} done")
    finally:
        stop(server)

    results = []
    print(f"\n{'page':9} {'variant':28} {'p50 ms':>7} {'p95 ms':>7}  runs (p95)        goal")
    for page, variant, path, _, goal in pages:
        p50 = median([r["p50"] for r in runs[path]])
        p95 = median([r["p95"] for r in runs[path]])
        ok = p95 <= GOAL_P95_MS if goal else None
        results.append(
            {
                "page": page,
                "variant": variant,
                "path": path,
                "p50_ms": round(p50, 1),
                "p95_ms": round(p95, 1),
                "runs": [{k: round(v, 1) for k, v in r.items()} for r in runs[path]],
                "meets_goal": ok,
            }
        )
        runs_p95 = " / ".join(f"{r['p95']:.0f}" for r in runs[path])
        verdict = "(not in the goal)" if ok is None else "ok" if ok else "MISSED"
        print(f"{page:9} {variant:28} {p50:7.1f} {p95:7.1f}  {runs_p95:16}  {verdict}")
    save(
        "dashboard_pages",
        {
            "machine": machine(),
            "server": "gunicorn, 2 sync workers, DEBUG=0, PostgreSQL on loopback",
            "data": data,
            "requests_per_page": REQUESTS,
            "warmup": WARMUP,
            "runs": RUNS,
            "goal_p95_ms": GOAL_P95_MS,
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
