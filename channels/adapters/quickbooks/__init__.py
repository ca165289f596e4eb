"""QuickBooks Online: the hub's item master (kind "quickbooks").

client.py speaks HTTP (tokens, retries, throttling, faults), adapter.py translates QuickBooks JSON
to the boundary dataclasses, oauth.py runs Intuit's OAuth 2.0 through `intuit-oauth`, and
webhooks.py verifies and reads Intuit's notifications in both formats.
"""

from channels.adapters.base import register

from . import oauth
from .adapter import QuickBooksAdapter, build_adapter

register("quickbooks", build_adapter, refresher=oauth.refresh)

__all__ = ["QuickBooksAdapter", "build_adapter", "oauth"]
