"""Change data capture: every object of the named entities changed after a point in time.

QuickBooks looks back at most 30 days and returns at most 1000 objects per response; this
returns the oldest 1000 changes, so a client that continues from the last change it saw misses
nothing. Deleted transactions come back as {"Id", "status": "Deleted", "MetaData"}. An entity
with no changes gets an empty object in the QueryResponse list.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from . import faults
from .books import Books
from .entities import COMPANY_INFO, entity_named
from .formats import parse_datetime

MAX_DAYS = 30
MAX_OBJECTS = 1000


def changes(books: Books, entities: str | None, since_text: str | None, now: datetime) -> dict[str, Any]:
    if not entities:
        raise faults.required_missing("entities")
    if not since_text:
        raise faults.required_missing("changedSince")
    since = parse_datetime(since_text)
    if since is None:
        raise faults.bad_value("changedSince", since_text)
    if since < now - timedelta(days=MAX_DAYS):
        raise faults.unsupported_operation(
            f"cdc with changedSince date {since_text} which is older than fixed days"
        )
    names: list[str] = []
    for raw in entities.split(","):
        name = entity_named(raw.strip())
        if name is None or name == COMPANY_INFO:
            raise faults.query_invalid(f"Metadata not found for Entity: {raw.strip()}")
        if name not in names:
            names.append(name)
    changed = [
        (epoch, name, obj) for name in names for epoch, obj in books.changed_since(name, since.timestamp())
    ]
    changed.sort(key=lambda row: row[0])
    grouped: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for _, name, obj in changed[:MAX_OBJECTS]:
        grouped[name].append(obj)
    responses = [
        {name: rows, "startPosition": 1, "maxResults": len(rows)} if rows else {}
        for name, rows in grouped.items()
    ]
    return {"CDCResponse": [{"QueryResponse": responses}]}
