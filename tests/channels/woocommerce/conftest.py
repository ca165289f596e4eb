"""Fixtures of the WooCommerce adapter suite: the emulator, adapters pointed at it whose waits are
recorded instead of slept, and a webhook receiver on loopback."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from waitress.server import create_server

from channels.adapters.base import AdapterConfig
from channels.adapters.woocommerce import WooCommerceAdapter
from channels.sandbox.kit import stop_waitress
from tests.channels.sandbox.woocommerce.conftest import KEY, SECRET, Receiver, Shop

WEBHOOK_SECRET = "hub-webhook-secret-for-tests"
# Small timeouts and backoff keep the suite fast; the faults tests raise them where they matter.
FAST = {"timeout": 2.0, "max_attempts": 4, "backoff_base": 0.01, "backoff_cap": 0.05}


class RecordedSleep:
    """Stands in for time.sleep: remembers each wait and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def shop(woo_sandbox) -> Iterator[Shop]:
    client = Shop(woo_sandbox)
    yield client
    client.session.close()


@pytest.fixture
def sleeper() -> RecordedSleep:
    return RecordedSleep()


@pytest.fixture
def make_adapter(shop: Shop, sleeper: RecordedSleep) -> Callable[..., WooCommerceAdapter]:
    def build(
        *, key: str = KEY, secret: str = SECRET, webhook_secret: str = WEBHOOK_SECRET, **options: Any
    ) -> WooCommerceAdapter:
        config = AdapterConfig(
            kind="woocommerce",
            base_url=shop.url,
            credentials={"consumer_key": key, "consumer_secret": secret},
            webhook_secret=webhook_secret,
            options={**FAST, **options},
        )
        return WooCommerceAdapter(config, sleep=sleeper)

    return build


@pytest.fixture
def adapter(make_adapter) -> WooCommerceAdapter:
    return make_adapter()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    server = create_server(hook.app, host="127.0.0.1", port=0, threads=4)
    hook.url = f"http://127.0.0.1:{server.effective_port}/hooks"
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield hook
    stop_waitress(server, thread)
