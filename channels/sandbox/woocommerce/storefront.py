"""A small WooCommerce REST client for simulated shoppers and benchmarks.

It speaks only the public wc/v3 API (Basic auth, as the hub's adapter does), so it works against
the sandbox or, over HTTPS, a real shop. Orders are placed by SKU with set_paid, which is how a
paid checkout lands; the sandbox refuses lines it cannot fill, and that refusal is `OutOfStock`.
"""

from __future__ import annotations

from typing import Any

import requests

from channels.sandbox.kit import shared_session

TIMEOUT = (3.05, 10.0)
MAX_PAGES = 1000  # a bound on every paging loop
STOCK_ERRORS = ("woocommerce_rest_product_out_of_stock", "woocommerce_rest_product_partially_out_of_stock")


class StorefrontError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        code = body.get("code", "") if isinstance(body, dict) else ""
        message = body.get("message", "") if isinstance(body, dict) else str(body)[:200]
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.body = body


class OutOfStock(StorefrontError):
    """The shop cannot fill a line: WooCommerce's out-of-stock error."""


class WooCommerceStorefront:
    def __init__(self, base_url: str, consumer_key: str, consumer_secret: str) -> None:
        self.api = base_url.rstrip("/") + "/wp-json/wc/v3"
        self.session = shared_session()
        self.session.auth = (consumer_key, consumer_secret)
        self.session.headers["Accept"] = "application/json"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> WooCommerceStorefront:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = self.session.request(method, f"{self.api}{path}", timeout=TIMEOUT, **kwargs)
        if response.status_code >= 400:
            try:
                body: Any = response.json()
            except ValueError:
                body = response.text
            error = (
                OutOfStock if isinstance(body, dict) and body.get("code") in STOCK_ERRORS else StorefrontError
            )
            raise error(response.status_code, body)
        return response

    def _pages(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            response = self._call("GET", path, params={**params, "per_page": 100, "page": page})
            items.extend(response.json())
            if page >= int(response.headers.get("X-WP-TotalPages", "1") or 1):
                break
        return items

    def products(self) -> dict[str, dict[str, Any]]:
        """Every sellable SKU: {sku: {product_id, variation_id, stock}}; stock is None when the shop
        does not track it."""
        catalogue: dict[str, dict[str, Any]] = {}
        for product in self._pages("/products", {"status": "publish"}):
            if product["type"] == "variable":
                for variation in self._pages(f"/products/{product['id']}/variations", {}):
                    if variation.get("sku"):
                        catalogue[variation["sku"]] = {
                            "product_id": product["id"],
                            "variation_id": variation["id"],
                            "stock": variation.get("stock_quantity"),
                        }
            elif product.get("sku"):
                catalogue[product["sku"]] = {
                    "product_id": product["id"],
                    "variation_id": 0,
                    "stock": product.get("stock_quantity") if product.get("manage_stock") else None,
                }
        return catalogue

    def place_order(self, lines: list[tuple[str, int]]) -> dict[str, Any]:
        body = {
            "set_paid": True,
            "payment_method": "sandbox",
            "payment_method_title": "Sandbox card",
            "billing": {"first_name": "Simulated", "last_name": "Shopper", "email": "shopper@example.com"},
            "line_items": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        }
        return dict(self._call("POST", "/orders", json=body).json())

    def cancel(self, order_id: int) -> dict[str, Any]:
        return dict(self._call("PUT", f"/orders/{order_id}", json={"status": "cancelled"}).json())

    def refund(self, order_id: int, lines: list[tuple[int, int]]) -> dict[str, Any]:
        """Refund (and restock) `quantity` units of each line item; amounts follow the line prices."""
        order = self._call("GET", f"/orders/{order_id}").json()
        prices = {
            item["id"]: float(item["total"]) / item["quantity"]
            for item in order["line_items"]
            if item["quantity"]
        }
        items = [
            {
                "id": item_id,
                "quantity": quantity,
                "refund_total": f"{prices.get(item_id, 0.0) * quantity:.2f}",
            }
            for item_id, quantity in lines
        ]
        body = {"line_items": items, "api_refund": False, "api_restock": True, "reason": "Simulated return"}
        return dict(self._call("POST", f"/orders/{order_id}/refunds", json=body).json())
