"""REST orders: creation claims stock, the 422 at zero, cancel/refund/fulfil moving stock back or
out, Link pagination with its page_info rules, filters, and the REST leaky bucket."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from .support import VERSION

STOCK = """query($variant: ID!, $location: ID!) { productVariant(id: $variant) { inventoryItem {
  inventoryLevel(locationId: $location) { quantities(names: ["available", "committed", "on_hand"]) { name quantity } }
} } }"""


def _levels(shop, sku: str) -> dict[str, int]:
    variant_gid = f"gid://shopify/ProductVariant/{shop.variant(sku)['variant_id']}"
    data = shop.data(STOCK, {"variant": variant_gid, "location": shop.location_gid()})
    quantities = data["productVariant"]["inventoryItem"]["inventoryLevel"]["quantities"]
    return {q["name"]: q["quantity"] for q in quantities}


def _create(shop, sku: str, quantity: int, **order):
    body = {
        "order": {
            "line_items": [{"variant_id": shop.variant(sku)["variant_id"], "quantity": quantity}],
            "financial_status": "paid",
            "inventory_behaviour": "decrement_obeying_policy",
            **order,
        }
    }
    return shop.rest("POST", "orders.json", json=body)


def _links(response) -> dict[str, str]:
    links = {}
    for part in (response.headers.get("Link") or "").split(", "):
        if part:
            url, rel = part.split("; ")
            links[rel.split('"')[1]] = url.strip("<>")
    return links


def test_an_order_claims_stock_and_a_channel_never_sells_what_it_shows_as_zero(shop):
    created = _create(shop, "LAMP-FLOOR-BRS", 18)
    assert created.status_code == 201
    order = created.json()["order"]
    assert order["name"] == "#1001"
    assert order["financial_status"] == "paid"
    assert order["line_items"][0]["sku"] == "LAMP-FLOOR-BRS"
    assert order["line_items"][0]["fulfillable_quantity"] == 18
    assert order["total_price"] == "2322.00"
    assert order["created_at"].endswith("+00:00")
    assert _levels(shop, "LAMP-FLOOR-BRS") == {"available": 0, "committed": 18, "on_hand": 18}

    refused = _create(shop, "LAMP-FLOOR-BRS", 1)
    assert refused.status_code == 422
    assert refused.json() == {"errors": {"line_items": ["Unable to reserve inventory"]}}
    assert shop.order(("LAMP-FLOOR-BRS", 1)).status_code == 422
    assert shop.rest("GET", "orders/count.json").json() == {"count": 1}

    bypass = _create(shop, "LAMP-FLOOR-BRS", 2, inventory_behaviour="bypass")
    assert bypass.status_code == 201
    assert shop.available("LAMP-FLOOR-BRS") == 0


def test_cancel_restocks_and_refunds_the_payment(shop):
    order = _create(shop, "SHELF-OAK-80", 4).json()["order"]
    assert shop.available("SHELF-OAK-80") == 60
    cancelled = shop.rest("POST", f"orders/{order['id']}/cancel.json", json={"reason": "customer"})
    assert cancelled.status_code == 200
    body = cancelled.json()["order"]
    assert body["cancelled_at"] is not None and body["cancel_reason"] == "customer"
    assert body["financial_status"] == "refunded"
    assert body["refunds"][0]["refund_line_items"][0]["restock_type"] == "cancel"
    assert _levels(shop, "SHELF-OAK-80") == {"available": 64, "committed": 0, "on_hand": 64}
    again = shop.rest("POST", f"orders/{order['id']}/cancel.json", json={})
    assert again.status_code == 422


def test_fulfil_then_refund_with_return_puts_stock_back(shop):
    order = _create(shop, "RACK-COAT-5", 3).json()["order"]
    fulfillment_orders = shop.rest("GET", f"orders/{order['id']}/fulfillment_orders.json").json()[
        "fulfillment_orders"
    ]
    fo = fulfillment_orders[0]
    assert fo["status"] == "open" and fo["line_items"][0]["fulfillable_quantity"] == 3
    shipped = shop.rest(
        "POST",
        "fulfillments.json",
        json={"fulfillment": {"line_items_by_fulfillment_order": [{"fulfillment_order_id": fo["id"]}]}},
    )
    assert shipped.status_code == 201
    assert _levels(shop, "RACK-COAT-5") == {"available": 49, "committed": 0, "on_hand": 49}
    assert shop.rest("GET", f"orders/{order['id']}.json").json()["order"]["fulfillment_status"] == "fulfilled"

    line_id = order["line_items"][0]["id"]
    lines = [{"line_item_id": line_id, "quantity": 1, "restock_type": "return"}]
    suggested = shop.rest(
        "POST", f"orders/{order['id']}/refunds/calculate.json", json={"refund": {"refund_line_items": lines}}
    ).json()["refund"]
    transaction = suggested["transactions"][0]
    assert transaction["kind"] == "suggested_refund" and transaction["amount"] == "34.00"
    refund = shop.rest(
        "POST",
        f"orders/{order['id']}/refunds.json",
        json={
            "refund": {
                "refund_line_items": lines,
                "transactions": [
                    {
                        "parent_id": transaction["parent_id"],
                        "amount": "34.00",
                        "kind": "refund",
                        "gateway": "shopify_payments",
                    }
                ],
            }
        },
    )
    assert refund.status_code == 201
    assert refund.json()["refund"]["transactions"][0]["amount"] == "34.00"
    assert _levels(shop, "RACK-COAT-5") == {"available": 50, "committed": 0, "on_hand": 50}
    after = shop.rest("GET", f"orders/{order['id']}.json", params={"fields": "id,financial_status"}).json()[
        "order"
    ]
    assert after == {"id": order["id"], "financial_status": "partially_refunded"}

    too_many = shop.rest(
        "POST",
        f"orders/{order['id']}/refunds.json",
        json={
            "refund": {
                "refund_line_items": [{"line_item_id": line_id, "quantity": 9, "restock_type": "return"}]
            }
        },
    )
    assert too_many.status_code == 422


def test_link_pagination_walks_every_order_once(shop):
    ids = [_create(shop, "BIN-LID-004", 1).json()["order"]["id"] for _ in range(5)]
    first = shop.rest("GET", "orders.json", params={"status": "any", "limit": 2, "fields": "id,name"})
    assert [o["id"] for o in first.json()["orders"]] == ids[::-1][:2]
    assert set(first.json()["orders"][0]) == {"id", "name"}
    links = _links(first)
    assert set(links) == {"next"}
    assert parse_qs(urlparse(links["next"]).query)["limit"] == ["2"]

    seen = [o["id"] for o in first.json()["orders"]]
    url = links["next"]
    while url:
        page = shop.rest("GET", url)
        assert page.status_code == 200
        assert "previous" in _links(page)
        seen.extend(o["id"] for o in page.json()["orders"])
        url = _links(page).get("next")
    assert seen == ids[::-1]

    with_filter = shop.rest("GET", links["next"] + "&status=any")
    assert with_filter.status_code == 400
    assert with_filter.json()["errors"]["status"].startswith(
        "status cannot be passed when page_info is present."
    )
    assert shop.rest("GET", "orders.json", params={"page_info": "garbage!"}).json() == {
        "errors": {"page_info": "Invalid value."}
    }
    assert shop.rest("GET", "orders.json", params={"limit": 251}).status_code == 400


def test_order_filters(shop):
    early = _create(shop, "BIN-LID-004", 1).json()["order"]
    shop.advance(3600)
    late = _create(shop, "BIN-LID-004", 1).json()["order"]
    shop.rest("POST", f"orders/{early['id']}/cancel.json", json={})

    def ids(**params):
        return [o["id"] for o in shop.rest("GET", "orders.json", params=params).json()["orders"]]

    assert ids() == [late["id"]]  # default status is open
    assert ids(status="cancelled") == [early["id"]]
    assert ids(status="any", created_at_min=late["created_at"]) == [late["id"]]
    assert ids(status="any", since_id=early["id"]) == [late["id"]]
    assert ids(status="any", ids=f"{early['id']}") == [early["id"]]
    assert ids(status="any", updated_at_min=late["created_at"]) == [late["id"], early["id"]]
    assert shop.rest("GET", "orders/count.json", params={"status": "any"}).json() == {"count": 2}
    assert shop.rest("GET", "orders.json", params={"created_at_min": "yesterday"}).status_code == 400


def test_rest_errors_and_the_leaky_bucket(shop):
    assert shop.rest("GET", "orders/1.json").json() == {"errors": "Not Found"}
    assert shop.rest("GET", "orders/1.json").status_code == 404
    unauthorised = shop.rest("GET", "orders.json", token="nope")
    assert unauthorised.status_code == 401
    assert unauthorised.json()["errors"].startswith("[API] Invalid API key or access token")
    assert (
        shop.rest(
            "POST", "orders.json", data="{oops", headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )
    assert shop.rest("POST", "orders.json", json={"nothing": 1}).status_code == 400
    unknown = shop.rest(
        "POST", "orders.json", json={"order": {"line_items": [{"variant_id": 1, "quantity": 1}]}}
    )
    assert unknown.status_code == 422

    # Five calls above were admitted (the 401 never reaches the bucket); fill it to 40.
    for _ in range(35):
        response = shop.rest("GET", "shop.json")
        assert response.status_code == 200
    assert response.headers["X-Shopify-Shop-Api-Call-Limit"] in ("40/40", "39/40")
    statuses = [shop.rest("GET", "shop.json").status_code for _ in range(3)]
    assert statuses[-1] == 429
    limited = shop.rest("GET", "shop.json")
    assert limited.headers["Retry-After"] == "2.0"
    assert limited.json() == {
        "errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
    }
    shop.advance(5)
    assert shop.rest("GET", "shop.json", version=VERSION).status_code == 200
