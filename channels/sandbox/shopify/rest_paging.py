"""REST cursor pagination: `limit`, `fields`, and `page_info` carried in the Link header.

A request with `page_info` may only add `limit` and `fields` (Shopify answers 400 naming the
offending parameter); the filters of the first request travel inside the opaque page_info.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, TypeVar
from urllib.parse import urlencode

from werkzeug.wrappers import Request

from channels.sandbox.kit import ApiError, json_response

PAGING_PARAMS = frozenset({"limit", "fields", "page_info"})
MAX_LIMIT = 250
T = TypeVar("T")


def bad_request(errors: Any) -> ApiError:
    return ApiError(json_response({"errors": errors}, status=400))


@dataclass
class ListRequest:
    filters: dict[str, str]
    limit: int
    fields: list[str] | None = None
    after: int | None = None
    before: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _encode(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(token: str) -> dict[str, Any]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise bad_request({"page_info": "Invalid value."}) from exc
    if not isinstance(data, dict) or not isinstance(data.get("filters"), dict):
        raise bad_request({"page_info": "Invalid value."})
    return data


def parse_limit(request: Request, default: int = 50) -> int:
    raw = request.args.get("limit")
    if raw is None:
        return default
    try:
        limit = int(raw)
    except ValueError as exc:
        raise bad_request("Invalid request parameters") from exc
    if not 1 <= limit <= MAX_LIMIT:
        raise bad_request("Invalid request parameters")
    return limit


def parse_list(request: Request, default_limit: int = 50) -> ListRequest:
    limit = parse_limit(request, default_limit)
    fields = request.args.get("fields")
    wanted = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
    token = request.args.get("page_info")
    if token is None:
        filters = {k: v for k, v in request.args.items() if k not in PAGING_PARAMS}
        return ListRequest(filters, limit, wanted)
    for name in request.args:
        if name not in PAGING_PARAMS:
            raise bad_request(
                {
                    name: f"{name} cannot be passed when page_info is present. "
                    "See https://shopify.dev/api/usage/pagination-rest for more information."
                }
            )
    data = _decode(token)
    try:
        after = int(data["after"]) if data.get("after") is not None else None
        before = int(data["before"]) if data.get("before") is not None else None
    except (TypeError, ValueError) as exc:
        raise bad_request({"page_info": "Invalid value."}) from exc
    return ListRequest({str(k): str(v) for k, v in data["filters"].items()}, limit, wanted, after, before)


def page(
    items: Sequence[T], listing: ListRequest, *, key: Callable[[T], int], descending: bool
) -> tuple[list[T], dict[str, Any] | None, dict[str, Any] | None]:
    """The page plus the page_info payloads for the next and previous pages (None: no link)."""

    def beyond(k: int, cursor: int) -> bool:
        return k < cursor if descending else k > cursor

    limit = listing.limit
    if listing.before is not None:
        candidates = [x for x in items if beyond(listing.before, key(x))]
        chosen = candidates[-limit:]
        has_previous, has_next = len(candidates) > limit, True
    else:
        candidates = [x for x in items if listing.after is None or beyond(key(x), listing.after)]
        chosen = candidates[:limit]
        has_previous, has_next = listing.after is not None, len(candidates) > limit
    if not chosen:
        return chosen, None, None
    following = {"filters": listing.filters, "after": key(chosen[-1])} if has_next else None
    preceding = {"filters": listing.filters, "before": key(chosen[0])} if has_previous else None
    return chosen, following, preceding


def link_header(
    request: Request, listing: ListRequest, following: dict | None, preceding: dict | None
) -> str | None:
    links = []
    for data, rel in ((preceding, "previous"), (following, "next")):
        if data is None:
            continue
        query = {"limit": str(listing.limit)}
        if listing.fields:
            query["fields"] = ",".join(listing.fields)
        query["page_info"] = _encode(data)
        links.append(f'<{request.base_url}?{urlencode(query)}>; rel="{rel}"')
    return ", ".join(links) or None


def only_fields(data: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k in fields} if fields else data


def parse_time(filters: dict[str, str], name: str, tz: tzinfo) -> datetime | None:
    raw = filters.get(name)
    if raw is None or raw == "":
        return None
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError as exc:
        raise bad_request({name: "is invalid"}) from exc
    return when if when.tzinfo else when.replace(tzinfo=tz)


def parse_int(filters: dict[str, str], name: str) -> int | None:
    raw = filters.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise bad_request({name: "is invalid"}) from exc
