"""Webhook topics in their two spellings: GraphQL's ORDERS_CREATE and REST's orders/create."""

from __future__ import annotations

REST_TOPICS = (
    "app/uninstalled",
    "fulfillments/create",
    "inventory_items/create",
    "inventory_items/delete",
    "inventory_items/update",
    "inventory_levels/connect",
    "inventory_levels/disconnect",
    "inventory_levels/update",
    "orders/cancelled",
    "orders/create",
    "orders/delete",
    "orders/fulfilled",
    "orders/paid",
    "orders/partially_fulfilled",
    "orders/updated",
    "products/create",
    "products/delete",
    "products/update",
    "refunds/create",
    "shop/update",
)
_BY_ENUM = {topic.replace("/", "_").upper(): topic for topic in REST_TOPICS}


def enum_of(topic: str) -> str:
    return topic.replace("/", "_").upper()


def rest_of(enum: str) -> str | None:
    return _BY_ENUM.get(enum)
