"""WooCommerce REST API v3 emulator (see app.py)."""

from .app import WooCommerceSandbox

__all__ = ["WooCommerceSandbox"]
