"""The Shopify channel adapter (kind "shopify"): Admin GraphQL for listings, stock and webhook
subscriptions, REST for orders and Shopify Payments payouts."""

from __future__ import annotations

from channels.adapters.base import AdapterConfig, TokenProvider, register

from .adapter import ShopifyAdapter


def _factory(config: AdapterConfig, tokens: TokenProvider | None) -> ShopifyAdapter:
    # Shopify's offline access tokens do not expire, so there is no token provider to use.
    return ShopifyAdapter(config)


register("shopify", _factory)

__all__ = ["ShopifyAdapter"]
