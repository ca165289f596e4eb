"""Global ids: "gid://shopify/ProductVariant/123", and InventoryLevel's compound form."""

from __future__ import annotations

import re

from graphql import GraphQLError

_GID = re.compile(r"^gid://shopify/(?P<kind>[A-Za-z]+)/(?P<id>\d+)(?:\?inventory_item_id=(?P<item>\d+))?$")


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def level_gid(location_id: int, item_id: int) -> str:
    return f"gid://shopify/InventoryLevel/{location_id}?inventory_item_id={item_id}"


def parse(value: str) -> tuple[str, int, int | None]:
    """(kind, id, inventory item id for levels) or a GraphQLError as Shopify words it."""
    match = _GID.match(value or "")
    if match is None:
        raise GraphQLError(
            f"Invalid global id '{value}'", extensions={"code": "argumentLiteralsIncompatible"}
        )
    item = match["item"]
    return match["kind"], int(match["id"]), int(item) if item else None


def parse_kind(value: str, kind: str) -> int | None:
    """The numeric id when `value` is a gid of `kind`; None when it is a gid of another kind."""
    found, number, _ = parse(value)
    return number if found == kind else None
