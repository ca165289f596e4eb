"""The shopper client: catalogue by GraphQL, orders, cancels and refunds by REST."""

from __future__ import annotations

import pytest

from channels.sandbox.shopify.storefront import OutOfStock, ShopifyStorefront

from .support import TOKEN


def test_shopper_browses_buys_cancels_and_refunds(shop):
    client = ShopifyStorefront(shop.url, TOKEN)
    variants = client.variants()
    assert len(variants) == len(shop.control("GET", "variants").json())
    assert variants["MIRROR-RND-60"]["available"] == 22
    assert variants["GIFT-WRAP"]["tracked"] is False

    order = client.place_order([("MIRROR-RND-60", 20), ("SAMPLE-BIN", 1)])
    assert shop.available("MIRROR-RND-60") == 2
    with pytest.raises(OutOfStock):
        client.place_order([("MIRROR-RND-60", 3)])

    refund = client.refund(order["id"], [(order["line_items"][0]["id"], 5)])
    assert refund["transactions"][0]["amount"] == "395.00"
    assert shop.available("MIRROR-RND-60") == 7

    cancelled = client.cancel(order["id"])
    assert cancelled["cancelled_at"] is not None
    assert shop.available("MIRROR-RND-60") == 22
    assert shop.available("SAMPLE-BIN") == 3900


def test_shopper_waits_out_graphql_throttling(shop):
    shop.control("POST", "plan", json={"maximum": 800, "restore_rate": 2000})
    client = ShopifyStorefront(shop.url, TOKEN)
    for _ in range(3):
        assert len(client.variants()) > 40
