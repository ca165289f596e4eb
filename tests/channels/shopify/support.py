"""Helpers of the Shopify adapter suite."""

from __future__ import annotations

from typing import Any

from channels.adapters.base import StockUpdate
from tests.channels.sandbox.shopify.support import Shop


def add_variants(
    shop: Shop, count: int, *, available: int = 10, prefix: str = "BULK"
) -> list[dict[str, Any]]:
    """`count` new one-variant products stocked at the primary location (through the emulator's
    control endpoint, so they cost no API calls)."""
    products = [
        {
            "title": f"{prefix} product {n}",
            "variants": [
                {
                    "sku": f"{prefix}-{n:05d}",
                    "barcode": f"99{n:011d}",
                    "price": "5.00",
                    "available": available,
                }
            ],
        }
        for n in range(count)
    ]
    answer = shop.control("POST", "products", json={"products": products})
    assert answer.status_code == 201, answer.text
    return answer.json()["created"]


def update_for(shop: Shop, created: dict[str, Any], quantity: int, compare: int | None) -> StockUpdate:
    return StockUpdate(
        listing_external_id=str(created["variant_id"]),
        quantity=quantity,
        compare_quantity=compare,
        inventory_item_id=f"gid://shopify/InventoryItem/{created['inventory_item_id']}",
        location_id=shop.location_gid(),
    )


def seeded_update(
    shop: Shop, sku: str, quantity: int, compare: int | None = None, **fields: Any
) -> StockUpdate:
    """An update of a seeded variant, comparing against what the shop holds unless told."""
    variant = shop.variant(sku)
    return StockUpdate(
        listing_external_id=str(variant["variant_id"]),
        quantity=quantity,
        compare_quantity=variant["available"] if compare is None else compare,
        inventory_item_id=fields.get(
            "inventory_item_id", f"gid://shopify/InventoryItem/{variant['inventory_item_id']}"
        ),
        location_id=fields.get("location_id", shop.location_gid()),
    )


def operations(shop: Shop) -> dict[str, int]:
    return shop.state()["operations"]


def writes(shop: Shop) -> tuple[int, list[str]]:
    state = shop.state()
    return state["writes_applied"], state["writes_applied_twice"]
