"""Malformed requests get the platform's 4xx answers, never a crash (a 5xx)."""

from __future__ import annotations

import pytest

JUNK = [
    ("POST", "orders.json", {"order": {"line_items": "lots"}}),
    ("POST", "orders.json", {"order": {"line_items": [{"variant_id": {"x": 1}, "quantity": 1}]}}),
    ("POST", "orders.json", {"order": {"line_items": [{"variant_id": "abc", "quantity": True}]}}),
    ("POST", "orders.json", {"order": {"line_items": [{"title": "Gift", "price": "ten"}]}}),
    ("POST", "orders.json", {"order": {"line_items": [{"title": "Gift"}], "financial_status": "rich"}}),
    ("POST", "orders.json", [1, 2, 3]),
    ("GET", "orders.json?since_id=abc", None),
    ("GET", "orders.json?status=weird", None),
    ("GET", "orders.json?limit=ten", None),
    ("POST", "fulfillments.json", {"fulfillment": {"line_items_by_fulfillment_order": [1]}}),
    (
        "POST",
        "fulfillments.json",
        {
            "fulfillment": {
                "line_items_by_fulfillment_order": [
                    {"fulfillment_order_id": "x", "fulfillment_order_line_items": ["y"]}
                ]
            }
        },
    ),
    ("POST", "fulfillments.json", "nope"),
    ("POST", "webhooks.json", {"webhook": {"topic": "orders/create", "address": 42}}),
    ("POST", "webhooks.json", {"webhook": "orders/create"}),
    ("GET", "shopify_payments/payouts.json?date_min=someday", None),
    ("GET", "shopify_payments/balance/transactions.json?payout_id=x", None),
    ("DELETE", "webhooks/123.json", None),
    ("GET", "shopify_payments/payouts/1.json", None),
]
GRAPHQL_JUNK = [
    {"query": 42},
    {"query": "{ shop { name } }", "variables": [1]},
    {"query": "{ shop { name } }", "variables": "{not json"},
    {"query": "query A { shop { name } } query B { shop { name } }"},
    {"query": "query A { shop { name } }", "operationName": "B"},
    {"query": '{ nodes(ids: ["nope"]) { id } }'},
    {"query": '{ productVariants(first: 2, query: "sku:\\"unterminated updated_at:>") { nodes { id } } }'},
    {"query": '{ inventoryLevel(id: "gid://shopify/InventoryLevel/1") { id } }'},
    {
        "query": '{ location(id: "gid://shopify/Location/1") { inventoryLevels(first: 1) { nodes { quantities(names: ["bogus"]) { name } } } } }'
    },
    {
        "query": 'mutation { webhookSubscriptionDelete(id: "gid://shopify/Product/1") { userErrors { message } } }'
    },
    {
        "query": 'mutation { inventorySetQuantities(input: {name: "available", reason: "correction", quantities: []}) @idempotent(key: "k") { userErrors { code } } }'
    },
]


@pytest.mark.parametrize(("method", "path", "body"), JUNK)
def test_rest_junk_is_refused_cleanly(shop, method, path, body):
    response = shop.rest(method, path, json=body) if body is not None else shop.rest(method, path)
    assert 400 <= response.status_code < 500, response.text
    assert "errors" in response.json()


@pytest.mark.parametrize("payload", GRAPHQL_JUNK)
def test_graphql_junk_is_refused_cleanly(shop, payload):
    response = shop.http.post(
        f"{shop.url}/admin/api/2026-10/graphql.json",
        json=payload,
        headers={"X-Shopify-Access-Token": "shpat_sandbox_token"},
        timeout=5,
    )
    assert response.status_code < 500, response.text
    body = response.json()
    assert "errors" in body or "data" in body
    assert "INTERNAL_SERVER_ERROR" not in response.text
