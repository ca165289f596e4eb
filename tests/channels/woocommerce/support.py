"""Helpers of the WooCommerce adapter suite."""

from __future__ import annotations

from typing import Any

import requests

from tests.channels.sandbox.woocommerce.conftest import Shop


def create_products(
    shop: Shop, count: int, *, prefix: str = "BULK", quantity: int = 10
) -> list[dict[str, Any]]:
    """`count` new stock-managed simple products, created as any client would: POST products/batch,
    100 per call. Returns [{id, sku}] in creation order."""
    created: list[dict[str, Any]] = []
    for start in range(0, count, 100):
        items = [
            {
                "name": f"{prefix} product {n}",
                "sku": f"{prefix}-{n:05d}",
                "regular_price": "5.00",
                "manage_stock": True,
                "stock_quantity": quantity,
            }
            for n in range(start, min(start + 100, count))
        ]
        answer = shop.post("/products/batch", {"create": items})
        assert answer.status_code == 200, answer.text
        created += [{"id": p["id"], "sku": p["sku"]} for p in answer.json()["create"]]
    assert len(created) == count
    return created


def calls(shop: Shop) -> dict[str, int]:
    return dict(shop.state()["calls"])


def writes(shop: Shop) -> tuple[int, list[str]]:
    state = shop.state()
    return state["writes_applied"], state["writes_applied_twice"]


def last_seq(shop: Shop) -> int:
    records = shop.control("GET", "/calls").json()["calls"]
    return max((r["seq"] for r in records), default=0)


def call_records(shop: Shop, endpoint: str, *, since: int = 0) -> list[dict[str, Any]]:
    """The emulator's log of calls to one endpoint (status, fault, write keys), oldest first."""
    answer = requests.get(f"{shop.url}/_sandbox/calls", params={"since": since}, timeout=10)
    return [c for c in answer.json()["calls"] if c["endpoint"] == endpoint]


def shop_now(shop: Shop) -> str:
    return shop.control("GET", "/clock").json()["now"]


def place(shop: Shop, *lines: tuple[str, int]) -> dict[str, Any]:
    answer = shop.control("POST", "/orders", {"lines": [{"sku": s, "quantity": q} for s, q in lines]})
    assert answer.status_code == 201, answer.text
    return answer.json()
