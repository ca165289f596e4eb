"""A worker killed in the middle of a push: after a restart the channel converges to exactly the
hub's quantities, and nothing is written twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.db import connection

from channels.models import Listing
from channels.push import push_quantity
from channels.sync import tick
from tests.e2e.conftest import hub_fixture
from tests.e2e.test_sync_engine import storefronts

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def hub_without_push_workers(live_server, sandbox_pool, settings):
    """The hub with its push queue left to worker processes this test starts and kills."""
    yield from hub_fixture(
        live_server, sandbox_pool, settings, queues=["webhooks", "sync", "postings", "imports", "default"]
    )


def start_push_worker(settings) -> subprocess.Popen:
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "LEASE_SECONDS": "3",
        "PUSH_DEBOUNCE_SECONDS": "0.1",
        "FIELD_ENCRYPTION_KEY": settings.FIELD_ENCRYPTION_KEYS[0],
        "SECRET_KEY": settings.SECRET_KEY,
    }
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "rqworker",
            "push",
            "--worker-class",
            "inventory_sync.queueing.HubWorker",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def graphql_calls(hub) -> list[dict]:
    calls = requests.get(hub.servers["shopify"].url + "/_sandbox/calls", timeout=10).json()["calls"]
    return [c for c in calls if c["path"].endswith("graphql.json")]


def test_a_worker_killed_mid_push_converges_after_restart(hub_without_push_workers, settings):
    hub = hub_without_push_workers
    settings.SWEEP_AFTER_SECONDS = 0
    settings.LEASE_SECONDS = 3
    shopify = hub.connection("shopify")
    worker = start_push_worker(settings)
    try:
        # The first pushes after connecting, done by the worker process.
        hub.wait_for(
            lambda: not Listing.objects.filter(push_pending=True).exists(), timeout=60, what="first push"
        )
        seen_before = len(graphql_calls(hub))
        hub.control("shopify", "knobs", {"latency_ms": 3000})  # every Shopify call now takes 3 s
        storefronts(hub)["woocommerce"].place_order([("BIN-LG-001", 3), ("JAR-GLASS-2L", 2)])
        # Wait until the worker's push has reached Shopify, then kill it there and then.
        hub.wait_for(
            lambda: len(graphql_calls(hub)) > seen_before, timeout=30, what="the push reached Shopify"
        )
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        assert Listing.objects.filter(connection=shopify, push_pending=True).exists()  # it never recorded

        hub.control("shopify", "knobs", {"latency_ms": 0})
        worker = start_push_worker(settings)
        time.sleep(3.5)  # the killed worker's lease expires
        tick()  # the sweeper (every 30 s on the cron) asks for the stranded push again
        hub.wait_for(
            lambda: not Listing.objects.filter(connection=shopify, push_pending=True).exists(),
            timeout=30,
            what="the restarted worker finished the push",
        )
    finally:
        worker.kill()
        worker.wait(timeout=10)

    for sku in ("BIN-LG-001", "JAR-GLASS-2L"):
        target = push_quantity(available=hub.item(sku).available, connection=shopify)
        assert hub.stock("shopify", sku) == target, sku
    state = requests.get(hub.servers["shopify"].url + "/_sandbox/state", timeout=10).json()
    assert state["writes_applied_twice"] == []
