"""Shopify's quarterly API versions, as the platform clock sees them.

A stable version is released each January, April, July and October and supported for twelve
months; the next one is available as a release candidate, and `unstable` always exists. A request
for a well-formed version that is not supported (retired, or never released) is served by the
oldest supported stable version, which is what Shopify does, and the answer's
X-Shopify-API-Version header says so. A path segment that is not a version at all is a 404.
"""

from __future__ import annotations

import re
from datetime import date

_VERSION = re.compile(r"^(\d{4})-(\d{2})$")
RELEASE_MONTHS = (1, 4, 7, 10)


def _quarter_start(day: date) -> tuple[int, int]:
    month = max(m for m in RELEASE_MONTHS if m <= day.month)
    return day.year, month


def _shift(year: int, month: int, quarters: int) -> tuple[int, int]:
    index = year * 4 + RELEASE_MONTHS.index(month) + quarters
    return index // 4, RELEASE_MONTHS[index % 4]


def supported_versions(today: date) -> list[str]:
    """The four supported stable versions, oldest first."""
    year, month = _quarter_start(today)
    return [f"{y}-{m:02d}" for y, m in (_shift(year, month, -q) for q in (3, 2, 1, 0))]


def latest_stable(today: date) -> str:
    return supported_versions(today)[-1]


def release_candidate(today: date) -> str:
    year, month = _shift(*_quarter_start(today), 1)
    return f"{year}-{month:02d}"


def resolve(requested: str, today: date) -> str | None:
    """The version that will serve a request for `requested`, or None when it is not a version."""
    if requested == "unstable":
        return requested
    if not _VERSION.match(requested):
        return None
    supported = supported_versions(today)
    if requested in supported or requested == release_candidate(today):
        return requested
    return supported[0]


def at_least(version: str, other: str) -> bool:
    """True when `version` is `other` or newer; unstable is newer than every dated version."""
    if version == "unstable":
        return True
    if other == "unstable":
        return False
    return version >= other
