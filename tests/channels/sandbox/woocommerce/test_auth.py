"""Authentication: the official `woocommerce` client (OAuth 1.0a over http), Basic auth, query-string
keys, and WooCommerce's answers to wrong or missing credentials."""

from __future__ import annotations

import time

import requests
from woocommerce import API
from woocommerce.oauth import OAuth

from .conftest import KEY, SECRET


def client(shop, **kwargs) -> API:
    return API(url=shop.url, consumer_key=KEY, consumer_secret=SECRET, version="wc/v3", timeout=5, **kwargs)


def test_official_client_reads_products_and_orders_with_its_oauth_signature(shop):
    wc = client(shop)
    products = wc.get("products", params={"per_page": 100})
    assert products.status_code == 200
    skus = {p["sku"] for p in products.json()}
    assert {"SAMPLE-BIN", " BIN-LID-004", "LAMP-DESK-BLACK", "CANDLE-SOY-01"} <= skus
    assert products.headers["X-WP-Total"] == str(len(products.json()))

    created = wc.post("orders", {"set_paid": True, "line_items": [{"sku": "SAMPLE-BIN", "quantity": 3}]})
    assert created.status_code == 201, created.text
    orders = wc.get("orders", params={"status": "processing"})
    assert [o["id"] for o in orders.json()] == [created.json()["id"]]
    assert wc.put(f"orders/{created.json()['id']}", {"status": "completed"}).json()["status"] == "completed"
    assert wc.delete(f"orders/{created.json()['id']}", params={"force": True}).status_code == 200


def test_oauth_rejects_a_bad_signature_a_replayed_nonce_and_a_stale_timestamp(shop):
    wc = client(shop)
    good = wc.get("products/10")
    assert good.status_code == 200
    replay = requests.get(good.url, timeout=5)  # the same signed URL, nonce and all
    assert replay.status_code == 401
    assert replay.json()["message"] == "Invalid nonce - nonce has already been used."

    forged = API(url=shop.url, consumer_key=KEY, consumer_secret="cs_wrong", version="wc/v3", timeout=5)
    answer = forged.get("products/10")
    assert answer.status_code == 401
    assert answer.json() == {
        "code": "woocommerce_rest_authentication_error",
        "message": "Invalid signature - provided signature does not match.",
        "data": {"status": 401},
    }
    an_hour_ago = int(time.time()) - 3600
    signed = OAuth(
        url=f"{shop.api}/products/10",
        consumer_key=KEY,
        consumer_secret=SECRET,
        version="wc/v3",
        method="GET",
        oauth_timestamp=an_hour_ago,
    ).get_oauth_url()
    assert requests.get(signed, timeout=5).json()["message"] == "Invalid timestamp."

    partial = requests.get(f"{shop.api}/products", params={"oauth_consumer_key": KEY}, timeout=5)
    assert partial.status_code == 401
    assert partial.json()["code"] == "woocommerce_rest_authentication_missing_parameter"


def test_basic_and_query_string_credentials_work(shop):
    assert requests.get(f"{shop.api}/products/10", auth=(KEY, SECRET), timeout=5).status_code == 200
    query = {"consumer_key": KEY, "consumer_secret": SECRET}
    assert requests.get(f"{shop.api}/products/10", params=query, timeout=5).status_code == 200


def test_wrong_or_missing_credentials_get_woocommerces_answers(shop):
    wrong_secret = requests.get(f"{shop.api}/products", auth=(KEY, "cs_nope"), timeout=5)
    assert wrong_secret.status_code == 401
    assert wrong_secret.json() == {
        "code": "woocommerce_rest_authentication_error",
        "message": "Consumer secret is invalid.",
        "data": {"status": 401},
    }
    # An unknown key is simply anonymous; the route's permission check answers.
    for auth in (("ck_unknown", "cs_unknown"), None):
        listing = requests.get(f"{shop.api}/products", auth=auth, timeout=5)
        assert listing.status_code == 401
        assert listing.json() == {
            "code": "woocommerce_rest_cannot_view",
            "message": "Sorry, you cannot list resources.",
            "data": {"status": 401},
        }
    assert requests.get(f"{shop.api}/products/10", timeout=5).json()["code"] == "woocommerce_rest_cannot_view"
    # ...but only for objects that exist, as in WooCommerce.
    assert requests.get(f"{shop.api}/products/999999", timeout=5).status_code == 404
    create = requests.post(f"{shop.api}/orders", json={}, timeout=5)
    assert create.json()["code"] == "woocommerce_rest_cannot_create"
    edit = requests.put(f"{shop.api}/products/10", json={"stock_quantity": 1}, timeout=5)
    assert edit.json()["code"] == "woocommerce_rest_cannot_edit"
    batch = requests.post(f"{shop.api}/products/batch", json={"update": []}, timeout=5)
    assert batch.json()["code"] == "woocommerce_rest_cannot_batch"
    # A wrong secret is refused before routing; a missing one reaches the router.
    assert requests.get(f"{shop.api}/nope", auth=(KEY, "x"), timeout=5).status_code == 401
    assert requests.get(f"{shop.api}/nope", timeout=5).json()["code"] == "rest_no_route"
    assert shop.stock("SAMPLE-BIN") == 3900
