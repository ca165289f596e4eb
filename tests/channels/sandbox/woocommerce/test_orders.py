"""Orders: stock leaving and coming back, the refusal at zero, refunds, listing filters, and the
storefront client that simulated shoppers use."""

from __future__ import annotations

import pytest

from channels.sandbox.woocommerce.storefront import OutOfStock, StorefrontError, WooCommerceStorefront

from .conftest import KEY, SECRET


def order(shop, lines, **extra) -> dict:
    answer = shop.post("/orders", {"set_paid": True, "line_items": lines, **extra})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_paid_order_takes_stock_once_and_looks_like_woocommerces(shop):
    shirt = shop.by_sku()["TSHIRT-M"]
    placed = order(
        shop,
        [
            {"sku": "SAMPLE-BIN", "quantity": 4},
            {"product_id": shirt["product_id"], "variation_id": shirt["variation_id"], "quantity": 2},
        ],
        billing={"first_name": "Ada", "email": "ada@example.com"},
    )
    assert placed["status"] == "processing" and placed["date_paid"] and placed["number"] == str(placed["id"])
    assert placed["total"] == "88.00" and placed["order_key"].startswith("wc_order_")
    lines = {line["sku"]: line for line in placed["line_items"]}
    assert lines["SAMPLE-BIN"]["subtotal"] == "48.00" and lines["SAMPLE-BIN"]["price"] == 12.0
    assert lines["TSHIRT-M"]["variation_id"] == shirt["variation_id"]
    assert lines["TSHIRT-M"]["parent_name"] == "Logo T-shirt"
    assert placed["billing"]["email"] == "ada@example.com" and placed["billing"]["city"] == ""
    assert (shop.stock("SAMPLE-BIN"), shop.stock("TSHIRT-M")) == (3896, 118)
    # Completing the order does not take stock twice.
    assert shop.put(f"/orders/{placed['id']}", {"status": "completed"}).json()["date_completed"]
    assert (shop.stock("SAMPLE-BIN"), shop.stock("TSHIRT-M")) == (3896, 118)
    assert shop.get("/products/10").json()["total_sales"] == 4


def test_unpaid_orders_do_not_move_stock_until_they_are_processed(shop):
    pending = shop.post("/orders", {"line_items": [{"sku": "LABEL-MAKER", "quantity": 5}]}).json()
    assert pending["status"] == "pending" and pending["date_paid"] is None
    assert shop.stock("LABEL-MAKER") == 25
    shop.put(f"/orders/{pending['id']}", {"status": "on-hold"})
    assert shop.stock("LABEL-MAKER") == 20
    shop.put(f"/orders/{pending['id']}", {"status": "pending"})  # back to pending gives it back
    assert shop.stock("LABEL-MAKER") == 25


def test_the_shop_refuses_to_sell_what_it_does_not_have(shop):
    shop.put("/products/10", {"stock_quantity": 2})
    short = shop.post("/orders", {"set_paid": True, "line_items": [{"sku": "SAMPLE-BIN", "quantity": 3}]})
    assert short.status_code == 400
    assert short.json() == {
        "code": "woocommerce_rest_product_partially_out_of_stock",
        "message": "You cannot add that amount of &quot;Sample storage bin&quot; to the cart because there is not "
        "enough stock (2 remaining).",
        "data": {"status": 400},
    }
    order(shop, [{"sku": "SAMPLE-BIN", "quantity": 2}])
    empty = shop.post("/orders", {"set_paid": True, "line_items": [{"sku": "SAMPLE-BIN", "quantity": 1}]})
    assert empty.json()["code"] == "woocommerce_rest_product_out_of_stock"
    assert shop.stock("SAMPLE-BIN") == 0
    assert len(shop.get("/orders").json()) == 1  # nothing half-made
    # A product that allows backorders sells below zero, as WooCommerce does.
    shop.put("/products/10", {"backorders": "yes"})
    order(shop, [{"sku": "SAMPLE-BIN", "quantity": 3}])
    assert shop.stock("SAMPLE-BIN") == -3
    assert shop.get("/products/10").json()["stock_status"] == "onbackorder"
    control = shop.control("POST", "/orders", {"lines": [{"sku": "LABEL-MAKER", "quantity": 26}]})
    assert (
        control.status_code == 400
        and control.json()["code"] == "woocommerce_rest_product_partially_out_of_stock"
    )


def test_cancelling_gives_stock_back_and_refunds_restock_only_what_they_say(shop):
    placed = order(
        shop,
        [{"sku": "HOOK-BRASS-04", "quantity": 5}, {"sku": "BAG-LAUNDRY", "quantity": 2}],
        payment_method="sandbox",
    )
    hooks, bags = placed["line_items"]
    assert (shop.stock("HOOK-BRASS-04"), shop.stock("BAG-LAUNDRY")) == (90, 138)
    refund = shop.post(
        f"/orders/{placed['id']}/refunds",
        {
            "reason": "Two arrived bent",
            "line_items": [{"id": hooks["id"], "quantity": 2, "refund_total": "22.00"}],
        },
    )
    assert refund.status_code == 201, refund.text
    body = refund.json()
    assert body["amount"] == "22.00" and body["refunded_payment"] is True
    assert body["line_items"][0]["quantity"] == -2 and body["line_items"][0]["total"] == "-22.00"
    assert shop.stock("HOOK-BRASS-04") == 92
    after = shop.get(f"/orders/{placed['id']}").json()
    assert after["refunds"] == [{"id": body["id"], "reason": "Two arrived bent", "total": "-22.00"}]
    assert after["status"] == "processing"
    # Cancelling gives back what is still out: 3 hooks and 2 bags, never the refunded 2 again.
    assert shop.put(f"/orders/{placed['id']}", {"status": "cancelled"}).json()["status"] == "cancelled"
    assert (shop.stock("HOOK-BRASS-04"), shop.stock("BAG-LAUNDRY")) == (95, 140)
    assert [r["id"] for r in shop.get(f"/orders/{placed['id']}/refunds").json()] == [body["id"]]
    assert bags["sku"] == "BAG-LAUNDRY"


def test_refunded_status_refunds_in_full_without_restocking(shop):
    placed = order(shop, [{"sku": "MUG-CERAMIC-BLU", "quantity": 3}])
    refunded = shop.put(f"/orders/{placed['id']}", {"status": "refunded"}).json()
    assert refunded["status"] == "refunded"
    assert (
        refunded["refunds"][0]["reason"] == "Order fully refunded."
        and refunded["refunds"][0]["total"] == "-24.00"
    )
    assert shop.stock("MUG-CERAMIC-BLU") == 227


def test_refund_errors_keep_woocommerces_http_500_quirk(shop):
    placed = order(shop, [{"sku": "MUG-CERAMIC-BLU", "quantity": 1}])  # no payment gateway on it
    gateway = shop.post(f"/orders/{placed['id']}/refunds", {"amount": "1.00"})
    assert gateway.status_code == 500
    assert gateway.json() == {
        "code": "woocommerce_rest_cannot_create_order_refund",
        "message": "The payment gateway for this order does not exist.",
        "data": 500,
    }
    too_much = shop.post(f"/orders/{placed['id']}/refunds", {"amount": "9.00", "api_refund": False})
    assert too_much.json()["message"] == "Invalid refund amount."
    unknown = shop.post("/orders/999999/refunds", {"amount": "1.00"})
    assert (unknown.status_code, unknown.json()["data"]) == (500, 404)
    typed = shop.post(f"/orders/{placed['id']}/refunds", {"amount": 1})
    assert typed.status_code == 400 and typed.json()["code"] == "rest_invalid_param"
    full = shop.post(f"/orders/{placed['id']}/refunds", {"amount": "8.00", "api_refund": False}).json()
    assert full["amount"] == "8.00"
    assert shop.get(f"/orders/{placed['id']}").json()["status"] == "refunded"


def test_order_listing_filters_by_status_and_modified_after(shop):
    first = order(shop, [{"sku": "LABEL-CHALK", "quantity": 1}])
    pending = shop.post("/orders", {"line_items": [{"sku": "LABEL-CHALK", "quantity": 1}]}).json()
    since = shop.control("GET", "/clock").json()["now"].rstrip("Z")
    shop.advance(60)
    later = order(shop, [{"sku": "LABEL-CHALK", "quantity": 2}])
    shop.put(f"/orders/{first['id']}", {"status": "completed"})
    recent = shop.get("/orders", params={"modified_after": since, "status": "any", "per_page": 100})
    assert sorted(o["id"] for o in recent.json()) == sorted([first["id"], later["id"]])
    assert recent.headers["X-WP-Total"] == "2"
    both = shop.get("/orders", params={"status": "pending,completed"}).json()
    assert sorted(o["id"] for o in both) == sorted([first["id"], pending["id"]])
    assert shop.get("/orders", params={"before": since, "status": "processing"}).json() == []
    bad = shop.get("/orders", params={"status": "shipped"})
    assert bad.status_code == 400 and "status[0] is not one of" in bad.json()["data"]["params"]["status"]
    assert shop.get("/orders/999999").json()["code"] == "woocommerce_rest_shop_order_invalid_id"
    assert shop.put("/orders/999999", {"status": "completed"}).status_code == 400


def test_orders_with_unknown_products_get_an_orphan_line(shop):
    ghost = order(shop, [{"sku": "NO-SUCH-SKU", "quantity": 1, "name": "Mystery"}])
    assert ghost["line_items"][0]["product_id"] == 0 and ghost["total"] == "0.00"
    missing = shop.post("/orders", {"line_items": [{"quantity": 1}]})
    assert missing.json()["code"] == "woocommerce_rest_required_product_reference"
    typed = shop.post("/orders", {"line_items": [{"sku": "LABEL-CHALK", "quantity": "two"}]})
    assert typed.json()["data"]["params"]["line_items"] == "line_items[0][quantity] is not of type integer."
    assert shop.post("/orders", {"customer_id": 42}).json()["code"] == "woocommerce_rest_invalid_customer_id"


def test_storefront_client_shops_cancels_and_returns(shop):
    with WooCommerceStorefront(shop.url, KEY, SECRET) as front:
        shop_with(front, shop)


def shop_with(front: WooCommerceStorefront, shop) -> None:
    catalogue = front.products()
    assert len(catalogue) == 44
    assert catalogue["TSHIRT-L"]["variation_id"] and catalogue["TSHIRT-L"]["stock"] == 95
    assert catalogue["JAR-GLASS-1L"] == {
        "product_id": catalogue["JAR-GLASS-1L"]["product_id"],
        "variation_id": 0,
        "stock": 287,
    }
    placed = front.place_order([("TSHIRT-L", 5), ("JAR-GLASS-1L", 1)])
    assert (shop.stock("TSHIRT-L"), shop.stock("JAR-GLASS-1L")) == (90, 286)
    line = next(item for item in placed["line_items"] if item["sku"] == "TSHIRT-L")
    refund = front.refund(placed["id"], [(line["id"], 2)])
    assert refund["amount"] == "40.00" and shop.stock("TSHIRT-L") == 92
    front.cancel(placed["id"])
    assert (shop.stock("TSHIRT-L"), shop.stock("JAR-GLASS-1L")) == (95, 287)
    with pytest.raises(OutOfStock):
        front.place_order([("TSHIRT-L", 96)])
    with pytest.raises(StorefrontError, match=r"^400 woocommerce_rest_shop_order_invalid_id"):
        front.cancel(999999)
