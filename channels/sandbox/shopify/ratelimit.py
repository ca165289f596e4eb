"""Shopify's two rate limits, run on the platform clock so tests move time instead of sleeping.

The GraphQL Admin API charges calculated query cost against a bucket that refills at the plan's
restore rate; the REST Admin API is a leaky bucket of 40 requests that drains at 2 per second.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


class CostBucket:
    def __init__(self, *, maximum: float, restore_rate: float, now: datetime) -> None:
        self.maximum = maximum
        self.restore_rate = restore_rate
        self.available = maximum
        self._last = now

    def refill(self, now: datetime) -> None:
        elapsed = max(0.0, (now - self._last).total_seconds())
        self.available = min(self.maximum, self.available + elapsed * self.restore_rate)
        self._last = now

    def try_spend(self, cost: float, now: datetime) -> bool:
        self.refill(now)
        if cost > self.available:
            return False
        self.available -= cost
        return True

    def refund(self, amount: float) -> None:
        self.available = min(self.maximum, self.available + max(0.0, amount))

    def set_plan(self, *, maximum: float | None, restore_rate: float | None, now: datetime) -> None:
        self.refill(now)
        if maximum is not None:
            self.maximum = float(maximum)
            self.available = min(self.available, self.maximum)
        if restore_rate is not None:
            self.restore_rate = float(restore_rate)

    def status(self) -> dict[str, Any]:
        return {
            "maximumAvailable": _number(self.maximum),
            "currentlyAvailable": int(self.available),
            "restoreRate": _number(self.restore_rate),
        }


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


class LeakyBucket:
    """REST: 40 requests draining at 2/s on standard plans (Shopify Plus: 400 at 20/s). A leak
    rate of 0 turns the limit off (for benchmarks that measure the hub, not the plan)."""

    CAPACITY = 40
    LEAK_PER_SECOND = 2.0

    def __init__(
        self, now: datetime, capacity: int | None = None, leak_per_second: float | None = None
    ) -> None:
        self.level = 0.0
        self._last = now
        self.CAPACITY = capacity if capacity is not None else type(self).CAPACITY
        self.LEAK_PER_SECOND = leak_per_second if leak_per_second is not None else type(self).LEAK_PER_SECOND

    def take(self, now: datetime) -> bool:
        """Admit one request if the bucket has room; the level after it is `self.used`."""
        if self.LEAK_PER_SECOND <= 0:
            return True
        elapsed = max(0.0, (now - self._last).total_seconds())
        self.level = max(0.0, self.level - elapsed * self.LEAK_PER_SECOND)
        self._last = now
        if self.level + 1 > self.CAPACITY:
            return False
        self.level += 1
        return True

    @property
    def header(self) -> str:
        return f"{min(self.CAPACITY, round(self.level))}/{self.CAPACITY}"
