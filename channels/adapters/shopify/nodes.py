"""Shopify's global ids and the small shapes shared by the adapter's GraphQL reads."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

NODES_LIMIT = 250  # ids per nodes() query
_GID = re.compile(r"^gid://shopify/(?P<kind>\w+)/(?P<id>\d+)(?:\?inventory_item_id=(?P<item>\d+))?$")


def gid(kind: str, value: str | int) -> str:
    """gid://shopify/<kind>/<n> from a number (a gid is returned as it is)."""
    text = str(value).strip()
    return text if text.startswith("gid://") else f"gid://shopify/{kind}/{text}"


def gid_number(value: str) -> str:
    """123 from gid://shopify/Kind/123 (or from "123")."""
    match = _GID.match(value.strip())
    return match["id"] if match else value.strip()


def is_variant_id(value: str) -> bool:
    """A numeric variant id or a ProductVariant gid: anything else cannot be on Shopify."""
    match = _GID.match(value.strip())
    return value.strip().isdigit() or bool(match and match["kind"] == "ProductVariant")


def level_gid(location: str, item: str) -> str:
    """The InventoryLevel gid of an item at a location (a node id nodes() accepts)."""
    return f"gid://shopify/InventoryLevel/{gid_number(location)}?inventory_item_id={gid_number(item)}"


def chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def available(level: Any) -> int | None:
    """The "available" quantity of an InventoryLevel selected with quantities(names:)."""
    if not isinstance(level, dict):
        return None
    for quantity in level.get("quantities") or ():
        if isinstance(quantity, dict) and quantity.get("name") == "available":
            value = quantity.get("quantity")
            return value if isinstance(value, int) and not isinstance(value, bool) else None
    return None
