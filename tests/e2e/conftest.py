"""The whole hub, end to end: Django served over HTTP (live_server), RQ workers on the real Redis,
PostgreSQL, and the three sandbox platforms on loopback talking to it over real HTTP.

`hub` connects a merchant exactly as `make demo` does (QuickBooks as master, Shopify and
WooCommerce with sync on, webhooks registered, items and listings imported, exact codes matched).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
import requests
from django.db import models

from channels.models import Connection, EventStatus, Listing, WebhookEvent
from channels.sandbox.kit import SandboxServer
from inventory_sync.demo import connect_demo
from inventory_sync.models import Item, Merchant
from inventory_sync.queueing import EmbeddedWorkers, get_queue
from tests.factories import MerchantFactory

PLATFORMS = ("quickbooks", "shopify", "woocommerce")


@dataclass
class Hub:
    url: str
    merchant: Merchant
    servers: dict[str, SandboxServer]
    workers: EmbeddedWorkers | None
    config: dict[str, dict[str, Any]] = field(default_factory=dict)

    def connection(self, kind: str) -> Connection:
        return Connection.objects.get(merchant=self.merchant, kind=kind)

    def item(self, sku: str) -> Item:
        return Item.objects.get(merchant=self.merchant, sku=sku)

    def stock(self, platform: str, sku: str) -> Any:
        return (
            requests.get(self.servers[platform].url + "/_sandbox/state", timeout=10).json()["stock"].get(sku)
        )

    def control(self, platform: str, path: str, payload: dict | None = None) -> Any:
        response = requests.post(
            self.servers[platform].url + "/_sandbox/" + path, json=payload or {}, timeout=30
        )
        response.raise_for_status()
        return response.json()

    def flush_webhooks(self) -> None:
        for name in PLATFORMS:
            requests.post(
                self.servers[name].url + "/_sandbox/webhooks/flush", json={"timeout": 5}, timeout=30
            )

    def busy(self, *, pushes: bool = True) -> bool:
        if WebhookEvent.objects.filter(merchant=self.merchant, status=EventStatus.PENDING).exists():
            return True
        if pushes and Listing.objects.filter(merchant=self.merchant, push_pending=True).exists():
            return True
        for name in ("webhooks", "push", "sync", "postings") if pushes else ("webhooks", "sync", "postings"):
            queue = get_queue(name)
            if queue.count or queue.started_job_registry.count:
                return True
        return any(
            requests.get(s.url + "/_sandbox/state", timeout=10).json()["webhooks"].get("pending", 0)
            for s in self.servers.values()
        )

    def settle(self, timeout: float = 60.0, *, pushes: bool = True) -> float:
        """Wait until every webhook is delivered and processed and (unless `pushes` is false)
        every push is done; returns the seconds it took."""
        start = time.monotonic()
        quiet = 0
        while time.monotonic() - start < timeout:
            self.flush_webhooks()
            quiet = quiet + 1 if not self.busy(pushes=pushes) else 0
            if quiet >= 3:
                return time.monotonic() - start
            time.sleep(0.2)
        raise AssertionError(f"the hub did not settle within {timeout} s")

    def wait_for(self, check: Callable[[], bool], timeout: float = 30.0, what: str = "") -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if check():
                return time.monotonic() - start
            time.sleep(0.1)
        raise AssertionError(f"not within {timeout} s: {what}\n{self.describe()}")

    def describe(self) -> str:
        """The state of things, for a failure message."""
        events = dict(
            WebhookEvent.objects.filter(merchant=self.merchant)
            .values_list("status")
            .annotate(n=models.Count("pk"))
            .values_list("status", "n")
        )
        failed = list(
            WebhookEvent.objects.filter(merchant=self.merchant, status=EventStatus.FAILED).values_list(
                "topic", "error"
            )[:5]
        )
        pending = Listing.objects.filter(merchant=self.merchant, push_pending=True).count()
        queues = {
            name: (get_queue(name).count, get_queue(name).started_job_registry.count)
            for name in ("webhooks", "push", "sync", "postings")
        }
        hooks = {
            n: requests.get(s.url + "/_sandbox/state", timeout=10).json()["webhooks"]
            for n, s in self.servers.items()
        }
        return f"events {events} failed {failed} push_pending {pending} queues {queues} webhooks {hooks}"


def hub_fixture(live_server, sandbox_pool, settings, *, queues: list[str] | None = None) -> Iterator[Hub]:
    settings.PUBLIC_BASE_URL = live_server.url
    settings.PUSH_DEBOUNCE_SECONDS = 0.1
    servers = {}
    for name in PLATFORMS:
        servers[name] = sandbox_pool.get(name)
        servers[name].platform.reset()
    # Shoppers in these tests buy faster than a standard plan's REST bucket lets them.
    requests.post(servers["shopify"].url + "/_sandbox/plan", json={"rest_leak_rate": 0}, timeout=10)
    config = {
        name: {"base_url": server.url, **server.platform.credentials()} for name, server in servers.items()
    }
    merchant = MerchantFactory(name="E2E Homewares")
    workers = EmbeddedWorkers(count=2, queue_names=queues, with_cron=False).start()
    connect_demo(merchant=merchant, sandbox=config, hub_url=live_server.url, log=lambda *_: None)
    hub = Hub(live_server.url, merchant, servers, workers, config)
    try:
        hub.settle(pushes=queues is None or "push" in queues)
        yield hub
    finally:
        workers.stop()


@pytest.fixture
def hub(live_server, sandbox_pool, settings) -> Iterator[Hub]:
    yield from hub_fixture(live_server, sandbox_pool, settings)


def units(value: Any) -> Decimal:
    return Decimal(str(value))
