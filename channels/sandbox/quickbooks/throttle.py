"""QuickBooks' per-realm request limits, counted by the sandbox clock.

A sliding window of 60 seconds kept in one-second buckets: memory stays small whatever the
limit, and the count is exact to the second, so the 501st request inside any minute is refused
and the first one after the oldest bucket ages out gets through.
"""

from __future__ import annotations

import math
import threading
from collections import deque

WINDOW_SECONDS = 60


class MinuteWindow:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._buckets: deque[list[int]] = deque()  # [second, count], oldest first
        self._total = 0
        self._lock = threading.Lock()

    def acquire(self, now: float) -> float | None:
        """Count a request at `now`; None when admitted, else the seconds until one would be."""
        if self.limit <= 0:
            return None
        second = math.floor(now)
        with self._lock:
            if self._buckets and second < self._buckets[-1][0]:
                second = self._buckets[-1][0]  # the clock was set back: count it as the latest second
            while self._buckets and self._buckets[0][0] <= second - WINDOW_SECONDS:
                self._total -= self._buckets.popleft()[1]
            if self._total >= self.limit:
                return float(self._buckets[0][0] + WINDOW_SECONDS - second)
            if self._buckets and self._buckets[-1][0] == second:
                self._buckets[-1][1] += 1
            else:
                self._buckets.append([second, 1])
            self._total += 1
        return None

    def clear(self) -> None:
        with self._lock:
            self._buckets.clear()
            self._total = 0
