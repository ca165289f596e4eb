"""Fixtures shared by every suite: the sandbox platforms on loopback, and the servers check."""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Iterator

import pytest

SANDBOX_CLASSES = {
    "quickbooks": "channels.sandbox.quickbooks:QuickBooksSandbox",
    "shopify": "channels.sandbox.shopify:ShopifySandbox",
    "woocommerce": "channels.sandbox.woocommerce:WooCommerceSandbox",
}


class _SandboxPool:
    """Starts each emulator once per test session, on a free loopback port, on first use."""

    def __init__(self) -> None:
        self.servers: dict = {}

    def get(self, platform: str):
        from channels.sandbox.kit import SandboxServer

        if platform not in self.servers:
            module_name, class_name = SANDBOX_CLASSES[platform].split(":")
            cls = getattr(importlib.import_module(module_name), class_name)
            self.servers[platform] = SandboxServer(cls()).start()
        return self.servers[platform]

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()


@pytest.fixture(scope="session")
def sandbox_pool() -> Iterator[_SandboxPool]:
    pool = _SandboxPool()
    yield pool
    pool.stop()


def _fresh(pool: _SandboxPool, platform: str):
    server = pool.get(platform)
    server.platform.reset()
    return server


@pytest.fixture
def qbo_sandbox(sandbox_pool):
    """The QuickBooks Online emulator, freshly seeded: `.url`, `.platform`."""
    return _fresh(sandbox_pool, "quickbooks")


@pytest.fixture
def shopify_sandbox(sandbox_pool):
    """The Shopify emulator, freshly seeded: `.url`, `.platform`."""
    return _fresh(sandbox_pool, "shopify")


@pytest.fixture
def woo_sandbox(sandbox_pool):
    """The WooCommerce emulator, freshly seeded: `.url`, `.platform`."""
    return _fresh(sandbox_pool, "woocommerce")


def pytest_runtest_setup(item):
    """Suites marked postgres/redis skip where the server is not configured, and fail under CI."""
    database_url = os.environ.get("DATABASE_URL", "")
    present = {
        "postgres": database_url.startswith(("postgres://", "postgresql://")),
        "redis": bool(os.environ.get("REDIS_URL")),
    }
    hints = {"postgres": "DATABASE_URL=postgres://...", "redis": "REDIS_URL=redis://..."}
    for marker, here in present.items():
        if item.get_closest_marker(marker) and not here:
            message = f"this test needs {marker}: set {hints[marker]}"
            if os.environ.get("CI"):
                pytest.fail(message + " (CI is set, so a missing server is a failure, not a skip)")
            pytest.skip(message)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Say how many tests really ran against each real server, so CI output shows it."""
    counts = {
        "postgres": {"passed": 0, "failed": 0, "skipped": 0},
        "redis": {"passed": 0, "failed": 0, "skipped": 0},
    }
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            keywords = getattr(report, "keywords", {})
            if getattr(report, "when", "call") not in ("call", "setup"):
                continue
            if outcome == "passed" and report.when != "call":
                continue
            for marker, tally in counts.items():
                if marker in keywords:
                    tally["failed" if outcome == "error" else outcome] += 1
    line = ", ".join(
        f"{marker}: {c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped"
        for marker, c in counts.items()
    )
    terminalreporter.write_line(f"real-server suites: {line}")


@pytest.fixture(autouse=True)
def _empty_queues():
    """Each test starts with empty queues and no leftover wake-up keys (the test Redis database,
    or the in-process one)."""
    from inventory_sync.queueing import redis_connection

    # A test that simulates Redis being down sets its own URL afterwards.
    with contextlib.suppress(Exception):
        redis_connection().flushdb()
