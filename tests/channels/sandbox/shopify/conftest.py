"""Fixtures of the Shopify sandbox suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .support import Receiver, Shop


@pytest.fixture
def shop(shopify_sandbox) -> Shop:
    return Shop(shopify_sandbox)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    yield hook
    hook.close()
