"""What this adapter's work added to the WooCommerce emulator: WordPress's public REST index."""

from __future__ import annotations

import requests


def test_the_wordpress_index_is_public_and_lists_woocommerces_routes(shop):
    for path in ("/wp-json/", "/wp-json"):
        answer = requests.get(f"{shop.url}{path}", timeout=5)  # no credentials
        assert answer.status_code == 200
        index = answer.json()
        assert (index["name"], index["url"], index["home"]) == ("Sandbox Store", shop.url, shop.url)
        assert "wc/v3" in index["namespaces"]
        assert index["routes"]["/wc/v3/products/batch"]["methods"] == ["PATCH", "POST", "PUT"]
        assert index["routes"]["/wc/v3/orders/(?P<order_id>[\\d]+)/refunds"]["methods"] == ["GET", "POST"]
        assert answer.headers["Link"] == f'<{shop.url}/wp-json/>; rel="https://api.w.org/"'
    assert shop.state()["calls"]["wp.index"] == 2


def test_a_wrong_secret_does_not_close_the_index(shop):
    answer = requests.get(f"{shop.url}/wp-json/", auth=("ck_sandbox_0123456789abcdef", "cs_wrong"), timeout=5)

    # WooCommerce checks keys only on its own namespace.
    assert answer.status_code == 200 and answer.json()["name"] == "Sandbox Store"
