"""A local emulator of the Shopify Admin API (GraphQL and the legacy REST resources the hub
uses), with webhooks, rate limits and Shopify Payments payouts. See app.py for the routes."""

from .app import ShopifySandbox

__all__ = ["ShopifySandbox"]
