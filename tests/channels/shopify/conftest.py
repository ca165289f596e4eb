"""Fixtures of the Shopify adapter suite: the emulator, and adapters pointed at it whose waits move
the emulator's clock instead of sleeping."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from channels.adapters.base import AdapterConfig
from channels.adapters.shopify import ShopifyAdapter
from tests.channels.sandbox.shopify.support import SECRET, TOKEN, Receiver, Shop


class ClockSleep:
    """Stands in for time.sleep: records each wait and moves the emulator's clock by it, so its
    rate-limit buckets refill as if the time had passed."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.shop.advance(seconds)


@pytest.fixture
def shop(shopify_sandbox) -> Shop:
    return Shop(shopify_sandbox)


@pytest.fixture
def sleeper(shop: Shop) -> ClockSleep:
    return ClockSleep(shop)


FAST = {"timeout": 2.0, "max_attempts": 4, "backoff_base": 0.01, "backoff_cap": 0.05}


@pytest.fixture
def make_adapter(shop: Shop, sleeper: ClockSleep) -> Callable[..., ShopifyAdapter]:
    def build(
        *, location_id: str = "", secret: str = SECRET, token: str = TOKEN, **options: Any
    ) -> ShopifyAdapter:
        config = AdapterConfig(
            kind="shopify",
            base_url=shop.url,
            credentials={"access_token": token},
            webhook_secret=secret,
            account_id="sandbox-shop.myshopify.com",
            location_id=location_id,
            options={**FAST, **options},
        )
        return ShopifyAdapter(config, sleep=sleeper)

    return build


@pytest.fixture
def adapter(make_adapter) -> ShopifyAdapter:
    return make_adapter()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    yield hook
    hook.close()
