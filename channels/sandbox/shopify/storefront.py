"""A small Shopify client for simulated shoppers and benchmarks.

It speaks only the public Admin API (GraphQL for the catalogue, REST for orders), never the
sandbox's control routes, so it runs unchanged against any shop that grants it a token.
"""

from __future__ import annotations

import time
from typing import Any

import requests

from channels.sandbox.kit import shared_session

VARIANTS_QUERY = """
query StorefrontVariants($after: String) {
  productVariants(first: 250, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      legacyResourceId sku price inventoryQuantity inventoryPolicy
      product { legacyResourceId title }
      inventoryItem { legacyResourceId tracked }
    }
  }
}
"""
MAX_PAGES = 100
MAX_RETRIES = 5


class StorefrontError(Exception):
    """The shop refused a request for a reason other than stock."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"Shopify answered {status}: {body}")
        self.status = status
        self.body = body


class OutOfStock(StorefrontError):
    """The shop would not reserve the stock an order asked for (Shopify's 422)."""


class ShopifyStorefront:
    def __init__(
        self,
        base_url: str,
        access_token: str,
        api_version: str = "2026-10",
        *,
        timeout: float = 10.0,
        session: requests.Session | None = None,
    ) -> None:
        self.api = f"{base_url.rstrip('/')}/admin/api/{api_version}"
        self.timeout = timeout
        self.session = session or shared_session()
        self.session.headers.update({"X-Shopify-Access-Token": access_token, "Accept": "application/json"})
        self._variant_ids: dict[str, int] = {}

    def _request(self, method: str, path: str, json: Any = None) -> requests.Response:
        """One call, waiting out 429s (bounded) as Retry-After asks."""
        for _attempt in range(MAX_RETRIES):
            response = self.session.request(method, f"{self.api}/{path}", json=json, timeout=self.timeout)
            if response.status_code != 429:
                return response
            time.sleep(min(float(response.headers.get("Retry-After", "1")), 5.0))
        return response

    def _graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        for _attempt in range(MAX_RETRIES):
            response = self._request("POST", "graphql.json", {"query": query, "variables": variables})
            if response.status_code != 200:
                raise StorefrontError(response.status_code, response.text)
            body = response.json()
            errors = body.get("errors") or []
            if any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors):
                status = body["extensions"]["cost"]["throttleStatus"]
                needed = body["extensions"]["cost"]["requestedQueryCost"] - status["currentlyAvailable"]
                time.sleep(min(max(needed, 1) / status["restoreRate"], 5.0))
                continue
            if errors:
                raise StorefrontError(200, errors)
            data: dict[str, Any] = body["data"]
            return data
        raise StorefrontError(200, "still throttled after retries")

    def variants(self) -> dict[str, dict[str, Any]]:
        """Every variant by SKU: ids, price, available quantity, whether stock is tracked."""
        result: dict[str, dict[str, Any]] = {}
        after = None
        for _page in range(MAX_PAGES):
            connection = self._graphql(VARIANTS_QUERY, {"after": after})["productVariants"]
            for node in connection["nodes"]:
                result[node["sku"]] = {
                    "variant_id": int(node["legacyResourceId"]),
                    "product_id": int(node["product"]["legacyResourceId"]),
                    "inventory_item_id": int(node["inventoryItem"]["legacyResourceId"]),
                    "title": node["product"]["title"],
                    "price": node["price"],
                    "available": node["inventoryQuantity"],
                    "tracked": node["inventoryItem"]["tracked"],
                    "policy": node["inventoryPolicy"],
                }
            if not connection["pageInfo"]["hasNextPage"]:
                break
            after = connection["pageInfo"]["endCursor"]
        self._variant_ids = {sku: v["variant_id"] for sku, v in result.items()}
        return result

    def _variant_id(self, sku: str) -> int:
        if sku not in self._variant_ids:
            self.variants()
        if sku not in self._variant_ids:
            raise StorefrontError(404, f"no variant with SKU {sku!r}")
        return self._variant_ids[sku]

    def place_order(self, lines: list[tuple[str, int]]) -> dict[str, Any]:
        """A paid order that claims stock; raises OutOfStock when the shop cannot reserve it."""
        order = {
            "line_items": [{"variant_id": self._variant_id(sku), "quantity": qty} for sku, qty in lines],
            "financial_status": "paid",
            "inventory_behaviour": "decrement_obeying_policy",
        }
        response = self._request("POST", "orders.json", {"order": order})
        if response.status_code == 201:
            created: dict[str, Any] = response.json()["order"]
            return created
        body = _body(response)
        if response.status_code == 422 and "Unable to reserve inventory" in str(body):
            raise OutOfStock(422, body)
        raise StorefrontError(response.status_code, body)

    def cancel(self, order_id: int) -> dict[str, Any]:
        response = self._request("POST", f"orders/{order_id}/cancel.json", {})
        if response.status_code != 200:
            raise StorefrontError(response.status_code, _body(response))
        cancelled: dict[str, Any] = response.json()["order"]
        return cancelled

    def refund(
        self, order_id: int, lines: list[tuple[int, int]], restock_type: str = "return"
    ) -> dict[str, Any]:
        """Refund `lines` [(line item id, quantity)] with the money Shopify suggests for them."""
        refund_lines = [
            {"line_item_id": lid, "quantity": qty, "restock_type": restock_type} for lid, qty in lines
        ]
        calculated = self._request(
            "POST",
            f"orders/{order_id}/refunds/calculate.json",
            {"refund": {"refund_line_items": refund_lines}},
        )
        if calculated.status_code != 200:
            raise StorefrontError(calculated.status_code, _body(calculated))
        transactions = [
            {"parent_id": t["parent_id"], "amount": t["amount"], "kind": "refund", "gateway": t["gateway"]}
            for t in calculated.json()["refund"]["transactions"]
        ]
        payload = {
            "refund": {"refund_line_items": refund_lines, "transactions": transactions, "notify": False}
        }
        response = self._request("POST", f"orders/{order_id}/refunds.json", payload)
        if response.status_code != 201:
            raise StorefrontError(response.status_code, _body(response))
        created: dict[str, Any] = response.json()["refund"]
        return created


def _body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text
