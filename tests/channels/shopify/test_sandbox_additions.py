"""What this suite added to the Shopify emulator: POST /_sandbox/products, and a full refund
marking the order "refunded"."""

from __future__ import annotations

from tests.channels.sandbox.shopify.support import VERSION


def test_products_control_creates_stocked_variants_visible_to_the_api(shop):
    answer = shop.control(
        "POST",
        "products",
        json={
            "products": [
                {
                    "title": "Linen napkins",
                    "variants": [
                        {"sku": "NAP-4", "barcode": "111", "price": "9.5", "available": 12},
                        {"sku": "NAP-8", "price": 17, "available": 3, "tracked": False, "title": "8 pack"},
                    ],
                }
            ]
        },
    )

    assert answer.status_code == 201
    created = answer.json()["created"]
    assert [c["sku"] for c in created] == ["NAP-4", "NAP-8"]
    assert len({c["product_id"] for c in created}) == 1
    variants = shop.control("GET", "variants").json()
    assert (variants["NAP-4"]["available"], variants["NAP-4"]["tracked"]) == (12, True)
    assert variants["NAP-8"]["tracked"] is False
    data = shop.data(
        'query { productVariants(first: 5, query: "sku:NAP-4") { nodes { sku barcode price '
        "product { title } inventoryItem { tracked } } } }",
        version=VERSION,
    )
    (node,) = data["productVariants"]["nodes"]
    assert node == {
        "sku": "NAP-4",
        "barcode": "111",
        "price": "9.50",
        "product": {"title": "Linen napkins"},
        "inventoryItem": {"tracked": True},
    }
    assert shop.order(("NAP-4", 2)).status_code == 201  # sellable like any seeded variant
    assert shop.state()["calls"] == {"graphql_endpoint": 1}  # control calls are not API calls


def test_products_control_rejects_a_bad_body(shop):
    assert shop.control("POST", "products", json={"products": "many"}).status_code == 400


def test_refunding_everything_paid_marks_the_order_refunded(shop):
    order = shop.order(("SAMPLE-BIN", 2)).json()["order"]
    line = order["line_items"][0]
    answer = shop.rest(
        "POST",
        f"orders/{order['id']}/refunds.json",
        json={
            "refund": {
                "refund_line_items": [{"line_item_id": line["id"], "quantity": 2, "restock_type": "cancel"}],
                "transactions": [{"amount": "24.00", "kind": "refund"}],
            }
        },
    )

    assert answer.status_code == 201
    after = shop.rest("GET", f"orders/{order['id']}.json").json()["order"]
    assert after["financial_status"] == "refunded"
