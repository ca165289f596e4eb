"""Relay connections the way the Admin API pages them: opaque base64 cursors over id order,
`first`/`after` or `last`/`before`, at most 250 nodes a page."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from graphql import GraphQLError

MAX_PAGE = 250
T = TypeVar("T")


def encode_cursor(item_id: int) -> str:
    raw = json.dumps({"last_id": item_id, "last_value": str(item_id)}, separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        data = json.loads(base64.b64decode(cursor.encode(), validate=True))
        return int(data["last_id"])
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise GraphQLError(
            "Invalid cursor for current pagination sort.", extensions={"code": "BAD_REQUEST"}
        ) from exc


def check_window(field_name: str, first: int | None, last: int | None) -> None:
    if first is None and last is None:
        raise GraphQLError("you must provide one of first or last", extensions={"code": "BAD_REQUEST"})
    if first is not None and last is not None:
        raise GraphQLError(
            "providing both first and last is not supported", extensions={"code": "BAD_REQUEST"}
        )
    for label, size in (("first", first), ("last", last)):
        if size is not None and not 0 <= size <= MAX_PAGE:
            raise GraphQLError(
                f"Argument '{label}' on Field '{field_name}' has an invalid value ({size}). "
                f"Expected a page size from 0 to {MAX_PAGE}.",
                extensions={"code": "argumentLiteralsIncompatible"},
            )


def paginate(
    items: Sequence[T],
    *,
    field_name: str,
    key: Callable[[T], int],
    wrap: Callable[[T], Any],
    first: int | None = None,
    last: int | None = None,
    after: str | None = None,
    before: str | None = None,
    reverse: bool = False,
) -> dict[str, Any]:
    """One page of `items` (any order; sorted here by id, descending when `reverse`)."""
    check_window(field_name, first, last)
    ordered = sorted(items, key=key, reverse=reverse)
    keys = [key(item) for item in ordered]

    def beyond(k: int, cursor: int) -> bool:
        return k < cursor if reverse else k > cursor

    start, end = 0, len(ordered)
    if after is not None:
        cursor = decode_cursor(after)
        start = next((i for i, k in enumerate(keys) if beyond(k, cursor)), len(ordered))
    if before is not None:
        cursor = decode_cursor(before)
        end = next((i for i, k in enumerate(keys) if not beyond(cursor, k)), len(ordered))
    window = ordered[start:end]
    if first is not None:
        page = window[:first]
        has_next = len(window) > first
        has_previous = start > 0
    else:
        count = last or 0
        page = window[-count:] if count else []
        has_previous = len(window) > count
        has_next = end < len(ordered)
    edges = [{"cursor": encode_cursor(key(item)), "node": wrap(item)} for item in page]
    return {
        "edges": edges,
        "nodes": [edge["node"] for edge in edges],
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }
