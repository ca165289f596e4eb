"""The WooCommerce channel adapter (kind "woocommerce"): REST API v3 with the consumer key and
secret for listings, absolute stock writes, orders and webhook subscriptions."""

from __future__ import annotations

from channels.adapters.base import AdapterConfig, TokenProvider, register

from .adapter import WooCommerceAdapter


def _factory(config: AdapterConfig, tokens: TokenProvider | None) -> WooCommerceAdapter:
    # WooCommerce API keys do not expire, so there is no token provider to use.
    return WooCommerceAdapter(config)


register("woocommerce", _factory)

__all__ = ["WooCommerceAdapter"]
