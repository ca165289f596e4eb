"""A faithful local emulator of QuickBooks Online: Intuit OAuth 2.0 and the v3 Accounting API."""

from .app import QuickBooksSandbox

__all__ = ["QuickBooksSandbox"]
