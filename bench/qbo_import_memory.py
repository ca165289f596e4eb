"""Issue 4's figure: a full import of 100,000 QuickBooks items streams page by page, so the import
process's peak memory stays under 300 MB; and how long it takes.

The QuickBooks emulator runs in its own process (plan limit lifted) and is seeded with 100,000
Inventory items through its /_sandbox/items control endpoint (the same validation as the API,
without 100,000 HTTP round trips). The import runs in a separate, fresh process, as a worker
would run the job: Django on a throwaway database (PostgreSQL when DATABASE_URL points at one,
else SQLite), one QuickBooks connection, then `run_import` over an ImportRun of master items. That
process reports its peak resident memory (VmHWM from /proc/self/status, and ru_maxrss) and its
baseline before the import started.

Run: .venv/bin/python bench/qbo_import_memory.py [--items 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import ROOT, machine, save, start_sandbox, stop

LIMIT_MB = 300
SEED_CHUNK = 20_000


def vm_hwm_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def vm_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ------------------------------------------------------------------------------------------
# The import process


def child(config: dict[str, Any]) -> None:
    import logging

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_sync.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    test = connection.settings_dict.setdefault("TEST", {})
    test["NAME"] = (
        str(Path(settings.VAR_DIR) / "bench_qbo_import.sqlite3")
        if connection.vendor == "sqlite"
        else "bench_qbo_import"
    )
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    logging.disable(logging.INFO)
    try:
        from channels.imports import run_import
        from channels.models import (
            Connection,
            ConnectionKind,
            ConnectionRole,
            ConnectionStatus,
            ImportKind,
            ImportRun,
        )
        from inventory_sync.demo import sandbox_quickbooks_credentials
        from inventory_sync.models import Item, Merchant

        merchant = Merchant.objects.create(name="Bench import", slug="bench-import")
        master = Connection.objects.create(
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
        run = ImportRun.objects.create(merchant=merchant, connection=master, kind=ImportKind.MASTER_ITEMS)
        baseline = vm_hwm_mb()
        started = time.perf_counter()
        result = run_import(run.pk)
        seconds = time.perf_counter() - started
        report = {
            "status": result.status,
            "error": result.error,
            "total": result.total,
            "processed": result.processed,
            "created": result.created,
            "skipped": result.skipped,
            "items_in_hub": Item.objects.filter(merchant=merchant).count(),
            "seconds": round(seconds, 1),
            "peak_rss_mb": round(vm_hwm_mb(), 1),
            "baseline_rss_mb": round(baseline, 1),
            "rss_after_mb": round(vm_rss_mb(), 1),
            "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "database": connection.vendor,
        }
    finally:
        connection.creation.destroy_test_db(settings.DATABASES["default"]["NAME"], verbosity=0)
    print("RESULT " + json.dumps(report), flush=True)


# ------------------------------------------------------------------------------------------
# The driver


def seed(config: dict[str, Any], count: int) -> float:
    started = time.perf_counter()
    left = count
    while left > 0:
        chunk = min(SEED_CHUNK, left)
        response = requests.post(
            config["base_url"] + "/_sandbox/items",
            json={"count": chunk, "prefix": "BULK", "qty": 25},
            timeout=600,
        )
        response.raise_for_status()
        left -= chunk
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return

    process, sandbox = start_sandbox(
        "--only", "quickbooks", "--quickbooks-port", "0", "--option", "quickbooks.requests_per_minute=0"
    )
    config = sandbox["quickbooks"]
    try:
        seed_seconds = seed(config, args.items)
        print(f"seeded {args.items:,} items in the QuickBooks emulator in {seed_seconds:.0f} s", flush=True)
        before = requests.get(config["base_url"] + "/_sandbox/state", timeout=30).json()["calls"]
        answer = subprocess.run(
            [sys.executable, __file__, "--child", json.dumps(config)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            check=False,
            timeout=3 * 3600,
        )
        after = requests.get(config["base_url"] + "/_sandbox/state", timeout=30).json()["calls"]
    finally:
        stop(process)
    lines = [line for line in answer.stdout.splitlines() if line.startswith("RESULT ")]
    if answer.returncode != 0 or not lines:
        sys.stderr.write(answer.stderr[-5000:])
        raise SystemExit(f"the import process failed (exit {answer.returncode})")
    report = json.loads(lines[-1][len("RESULT ") :])
    calls = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    report["quickbooks_calls"] = {name: count for name, count in calls.items() if count}
    expected = args.items + 48  # the seeded company already has 48 items
    summary = {
        "items": args.items,
        **report,
        "limit_mb": LIMIT_MB,
        "machine": machine(),
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path = save("qbo_import_memory", summary)
    print()
    print(
        "| items in QuickBooks | imported | pages read | import time | peak RSS of the import process "
        "| of which before the import | database |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    print(
        f"| {expected:,} | {report['created']:,} | {report['quickbooks_calls'].get('query', 0) - 1} | "
        f"{report['seconds']:.0f} s | {report['peak_rss_mb']:.0f} MB | {report['baseline_rss_mb']:.0f} MB | "
        f"{report['database']} |"
    )
    print(f"\nwritten to {path}")
    if report["status"] != "done" or report["created"] != expected:
        raise SystemExit(f"FAILED: the import ended {report['status']} with {report['created']} items")
    if report["peak_rss_mb"] >= LIMIT_MB:
        raise SystemExit(f"FAILED: peak RSS {report['peak_rss_mb']} MB, the limit is {LIMIT_MB} MB")


if __name__ == "__main__":
    main()
