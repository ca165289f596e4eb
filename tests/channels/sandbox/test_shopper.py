"""The simulated shoppers buy, on each channel, only what that channel lists."""

from __future__ import annotations

from channels.sandbox.catalogue import WOOCOMMERCE_SPELLING, shopify_products, woocommerce_products
from channels.sandbox.shopper import Shopper


class Front:
    def __init__(self) -> None:
        self.baskets: list[list[tuple[str, int]]] = []

    def place_order(self, lines):
        self.baskets.append(lines)
        return {"id": len(self.baskets)}

    def cancel(self, order_id):
        return {}


def test_each_channels_shoppers_buy_from_that_channels_own_list():
    shop, woo = Front(), Front()
    skus = {"shopify": ["A", "B"], "woocommerce": ["c-1", "D"]}
    shopper = Shopper({"shopify": shop, "woocommerce": woo}, skus=skus, rate=0, lines=(1, 2), seed=3)

    stats = shopper.run(orders=60)

    assert sum(stats.placed.values()) == 60
    assert shop.baskets and woo.baskets
    assert {sku for basket in shop.baskets for sku, _ in basket} <= {"A", "B"}
    assert {sku for basket in woo.baskets for sku, _ in basket} <= {"c-1", "D"}


def test_one_list_is_shared_by_every_channel():
    shop, woo = Front(), Front()
    shopper = Shopper({"shopify": shop, "woocommerce": woo}, skus=["A"], rate=0, seed=1)

    shopper.run(orders=10)

    assert {sku for basket in shop.baskets + woo.baskets for sku, _ in basket} == {"A"}


def test_the_catalogue_spells_skus_per_channel():
    """Why the shopper command buys per channel: WooCommerce lists some products under another
    spelling and lacks others, and an unknown SKU there makes an order line with no SKU."""
    woo = {p.sku for p in woocommerce_products()}
    assert not set(WOOCOMMERCE_SPELLING) & woo
    assert {p.sku for p in shopify_products()} != woo
