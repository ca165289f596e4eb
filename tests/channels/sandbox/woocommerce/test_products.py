"""Products and variations: the seeded catalogue, paging, filters, writes, batches and bad input."""

from __future__ import annotations

import requests


def all_products(shop, **params) -> list[dict]:
    items, page = [], 1
    while page < 50:
        answer = shop.get("/products", params={"per_page": 10, "page": page, **params})
        items += answer.json()
        if page >= int(answer.headers["X-WP-TotalPages"]):
            return items
        page += 1
    raise AssertionError("paging never ended")


def test_seed_has_the_catalogues_untidiness(shop):
    listing = shop.by_sku()
    assert listing["JAR-GLASS-1L"]["stock_quantity"] == 287  # drifted +7 from QuickBooks' 280
    assert " BIN-LID-004" in listing and "LAMP-DESK-BLACK" in listing and "CANDLE-SOY-01" in listing
    assert "LAMP-FLOOR-BRS" not in listing
    shirt = listing["TSHIRT-M"]
    assert shirt["variation_id"] and shirt["product_id"] != shirt["variation_id"]
    parent = shop.get(f"/products/{shirt['product_id']}").json()
    assert parent["type"] == "variable" and parent["name"] == "Logo T-shirt"
    assert parent["attributes"][0]["options"] == ["S", "M", "L"]
    assert sorted(parent["variations"]) == sorted(
        listing[s]["variation_id"] for s in ("TSHIRT-S", "TSHIRT-M", "TSHIRT-L")
    )
    assert parent["price"] == "20.00" and parent["stock_quantity"] is None
    variations = shop.get(f"/products/{shirt['product_id']}/variations").json()
    assert {v["sku"]: v["stock_quantity"] for v in variations} == {
        "TSHIRT-S": 80,
        "TSHIRT-M": 120,
        "TSHIRT-L": 95,
    }
    assert variations[0]["attributes"][0]["name"] == "Size"


def test_paging_headers_and_links_walk_the_whole_catalogue(shop):
    first = shop.get("/products", params={"per_page": 10})
    total, pages = int(first.headers["X-WP-Total"]), int(first.headers["X-WP-TotalPages"])
    assert total == 42 and pages == 5  # 41 simple products and the variable T-shirt
    assert first.links["next"]["url"].endswith("page=2") and "prev" not in first.links
    last = requests.get(
        first.links["next"]["url"].replace("page=2", "page=5"), auth=shop.session.auth, timeout=5
    )
    assert len(last.json()) == 2 and "next" not in last.links and last.links["prev"]["url"].endswith("page=4")
    ids = [p["id"] for p in all_products(shop)]
    assert len(ids) == len(set(ids)) == 42
    assert ids == sorted(ids, reverse=True)  # date desc, ties broken by id
    ascending = shop.get("/products", params={"orderby": "id", "order": "asc", "per_page": 3}).json()
    assert [p["id"] for p in ascending] == sorted(ids)[:3]
    beyond = shop.get("/products", params={"page": 9})
    assert beyond.json() == [] and beyond.headers["X-WP-Total"] == "42"


def test_filters_by_sku_search_type_include_and_fields(shop):
    # SKU matching follows MySQL's collation: case-insensitive; variations are included.
    found = shop.get("/products", params={"sku": "tshirt-s,SAMPLE-BIN"}).json()
    assert sorted(p["sku"] for p in found) == ["SAMPLE-BIN", "TSHIRT-S"]
    assert {p["type"] for p in found} == {"simple", "variation"}
    assert shop.get("/products", params={"sku": "BIN-LID-004"}).json() == []  # the stray leading space
    assert [p["sku"] for p in shop.get("/products", params={"search": "oak shelf"}).json()] == [
        "SHELF-OAK-120",
        "SHELF-OAK-80",
    ]
    assert [p["name"] for p in shop.get("/products", params={"type": "variable"}).json()] == ["Logo T-shirt"]
    picked = shop.get(
        "/products", params={"include": "12,10,11", "orderby": "include", "order": "asc"}
    ).json()
    assert [p["id"] for p in picked] == [12, 10, 11]
    slim = shop.get("/products/10", params={"_fields": "sku,stock_quantity"}).json()
    assert slim == {"id": 10, "sku": "SAMPLE-BIN", "stock_quantity": 3900}


def test_modified_after_sees_only_what_changed_since(shop):
    since = shop.control("GET", "/clock").json()["now"].rstrip("Z")
    assert shop.get("/products", params={"modified_after": since}).json() == []
    shop.advance(5)
    assert shop.put("/products/10", {"stock_quantity": 12}).status_code == 200
    shirt = shop.by_sku()["TSHIRT-L"]
    shop.put(f"/products/{shirt['product_id']}/variations/{shirt['variation_id']}", {"stock_quantity": 1})
    changed = shop.get("/products", params={"modified_after": since}).json()
    assert sorted(p["id"] for p in changed) == sorted([10, shirt["product_id"]])
    bad = shop.get("/products", params={"modified_after": "yesterday"})
    assert bad.status_code == 400 and bad.json()["data"]["params"]["modified_after"] == "Invalid date."


def test_stock_writes_recompute_stock_status(shop):
    zero = shop.put("/products/10", {"stock_quantity": 0}).json()
    assert (zero["stock_quantity"], zero["stock_status"]) == (0, "outofstock")
    backorder = shop.put("/products/10", {"backorders": "notify"}).json()
    assert backorder["stock_status"] == "onbackorder" and backorder["backorders_allowed"] is True
    again = shop.put("/products/10", {"stock_quantity": "7", "inventory_delta": 100}).json()
    assert (again["stock_quantity"], again["stock_status"]) == (7, "instock")
    delta = shop.post("/products/10", {"inventory_delta": -2}).json()  # POST is an update too
    assert delta["stock_quantity"] == 5
    untracked = shop.put("/products/11", {"manage_stock": False, "stock_quantity": 50}).json()
    assert (untracked["manage_stock"], untracked["stock_quantity"]) == (False, None)
    assert "BIN-LG-001" not in shop.state()["stock"]
    assert shop.stock("SAMPLE-BIN") == 5


def test_unknown_fields_are_ignored_and_wrong_types_refused(shop):
    ok = shop.put("/products/10", {"stock_quantity": 9, "colour_of_the_day": "teal"})
    assert ok.status_code == 200 and "colour_of_the_day" not in ok.json()
    wrong = shop.put("/products/10", {"stock_quantity": "lots", "regular_price": 12, "backorders": "maybe"})
    assert wrong.status_code == 400
    body = wrong.json()
    assert body["code"] == "rest_invalid_param"
    assert body["data"]["params"] == {
        "stock_quantity": "stock_quantity is not of type integer.",
        "regular_price": "regular_price is not of type string.",
        "backorders": "backorders is not one of no, notify, and yes.",
    }
    assert shop.stock("SAMPLE-BIN") == 9


def test_unknown_ids_routes_and_malformed_json(shop):
    missing = shop.get("/products/999999")
    assert missing.status_code == 404
    assert missing.json() == {
        "code": "woocommerce_rest_product_invalid_id",
        "message": "Invalid ID.",
        "data": {"status": 404},
    }
    assert shop.put("/products/999999", {"stock_quantity": 1}).status_code == 400  # update says 400
    assert (
        shop.get("/products/10/variations/11").json()["code"]
        == "woocommerce_rest_product_variation_invalid_id"
    )
    no_route = shop.get("/products/abc")
    assert no_route.status_code == 404 and no_route.json()["code"] == "rest_no_route"
    assert shop.session.patch(f"{shop.api}/products", timeout=5).json()["code"] == "rest_no_route"
    broken = shop.session.put(
        f"{shop.api}/products/10", data="{not json", headers={"Content-Type": "application/json"}, timeout=5
    )
    assert broken.status_code == 400 and broken.json()["code"] == "rest_invalid_json"
    assert shop.get("/products", params={"per_page": 101}).json()["data"]["params"] == {
        "per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"
    }
    assert shop.get("/products", params={"page": "x"}).status_code == 400
    duplicate = shop.post("/products", {"name": "Copy", "sku": "sample-bin"})
    assert duplicate.status_code == 400 and duplicate.json()["code"] == "product_invalid_sku"
    assert shop.state()["calls"]["unknown"] == 2


def test_create_trash_and_delete_products(shop):
    created = shop.post(
        "/products",
        {"name": "Gift card", "sku": "GIFT-CARD", "regular_price": "25.00", "manage_stock": False},
    )
    assert created.status_code == 201
    product = created.json()
    assert created.headers["Location"].endswith(f"/products/{product['id']}")
    assert (product["slug"], product["stock_quantity"], product["stock_status"]) == (
        "gift-card",
        None,
        "instock",
    )
    trashed = shop.delete(f"/products/{product['id']}")
    assert trashed.status_code == 200
    assert shop.delete(f"/products/{product['id']}").status_code == 410
    assert shop.get("/products", params={"sku": "GIFT-CARD"}).json() == []
    assert shop.delete(f"/products/{product['id']}", params={"force": "true"}).status_code == 200
    assert shop.get(f"/products/{product['id']}").status_code == 404


def test_batch_limit_and_per_item_errors(shop):
    too_many = shop.post("/products/batch", {"update": [{"id": 10, "stock_quantity": 1}] * 101})
    assert too_many.status_code == 413
    assert too_many.json() == {
        "code": "woocommerce_rest_request_entity_too_large",
        "message": "Unable to accept more than 100 items for this request.",
        "data": {"status": 413},
    }
    assert shop.stock("SAMPLE-BIN") == 3900
    result = shop.post(
        "/products/batch",
        {
            "create": [{"name": "Tea towel", "sku": "TOWEL-TEA", "manage_stock": True, "stock_quantity": 4}],
            "update": [{"id": 10, "stock_quantity": 3}, {"id": 987654, "stock_quantity": 1}],
            "delete": [987655],
        },
    ).json()
    assert result["create"][0]["sku"] == "TOWEL-TEA"
    assert result["update"][0]["stock_quantity"] == 3
    assert result["update"][1] == {
        "id": 987654,
        "error": {
            "code": "woocommerce_rest_product_invalid_id",
            "message": "Invalid ID.",
            "data": {"status": 400},
        },
    }
    assert result["delete"][0]["error"]["data"] == {"status": 404}
    assert shop.state()["stock"]["TOWEL-TEA"] == 4 and shop.stock("SAMPLE-BIN") == 3


def test_variation_batch_updates_stock_of_each_size(shop):
    listing = shop.by_sku()
    parent = listing["TSHIRT-S"]["product_id"]
    updates = [
        {"id": listing[s]["variation_id"], "stock_quantity": n} for s, n in (("TSHIRT-S", 0), ("TSHIRT-M", 7))
    ]
    result = shop.post(f"/products/{parent}/variations/batch", {"update": [*updates, {"id": 10}]}).json()
    assert [(v.get("sku"), v.get("stock_status")) for v in result["update"][:2]] == [
        ("TSHIRT-S", "outofstock"),
        ("TSHIRT-M", "instock"),
    ]
    assert result["update"][2]["error"]["code"] == "woocommerce_rest_product_variation_invalid_id"
    stock = shop.state()["stock"]
    assert (stock["TSHIRT-S"], stock["TSHIRT-M"], stock["TSHIRT-L"]) == (0, 7, 95)
    created = shop.post(
        f"/products/{parent}/variations",
        {
            "sku": "TSHIRT-XL",
            "regular_price": "22.00",
            "manage_stock": True,
            "stock_quantity": 5,
            "attributes": [{"name": "size", "option": "XL"}],
        },
    ).json()
    assert created["name"] == "Logo T-shirt - XL" and created["attributes"] == [
        {"id": 0, "name": "Size", "option": "XL"}
    ]
    assert created["id"] in shop.get(f"/products/{parent}").json()["variations"]
