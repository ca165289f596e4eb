"""Webhook subscriptions and the deliveries Shopify sends for them.

Each event gets one X-Shopify-Event-Id; each subscription's delivery of it one
X-Shopify-Webhook-Id, kept across that delivery's retries (the kit's dispatcher resends the same
delivery). The body is the resource's REST JSON in compact form and X-Shopify-Hmac-Sha256 is
base64(HMAC-SHA256(app client secret, raw body)).

Deviation: Shopify refuses http:// addresses; the sandbox accepts them because its receivers
live on loopback without TLS. Deliveries are always JSON, whatever `format` says.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from channels.sandbox.kit import Delivery

from .render import shop_time
from .store import ShopifyStore, Subscription


def validate_address(
    store: ShopifyStore, topic: str, uri: str | None, *, ignore_id: int | None = None
) -> str | None:
    """Shopify's user error message for a bad address, or None when it is acceptable."""
    if not isinstance(uri, str) or not uri.strip():
        return "Address can't be blank"
    parsed = urlparse(uri.strip())
    if parsed.scheme not in ("http", "https"):
        return f"Address protocol {parsed.scheme or uri}:// is not supported"
    if not parsed.netloc:
        return "Address is invalid"
    for sub in store.subscriptions.values():
        if sub.id != ignore_id and sub.topic == topic and sub.uri == uri.strip():
            return "Address for this topic has already been taken"
    return None


def subscribe(
    store: ShopifyStore,
    *,
    topic: str,
    uri: str,
    api_version: str,
    now: datetime,
    fmt: str = "JSON",
    include_fields: list[str] | None = None,
) -> Subscription:
    sub = Subscription(
        id=store.next_id("webhook"),
        topic=topic,
        uri=uri.strip(),
        format=fmt,
        api_version=api_version,
        created_at=now,
        updated_at=now,
        include_fields=list(include_fields or []),
    )
    store.subscriptions[sub.id] = sub
    return sub


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def deliveries(
    store: ShopifyStore,
    topic: str,
    payload: dict[str, Any],
    *,
    shop_domain: str,
    secret: str,
    now: datetime,
) -> list[Delivery]:
    event_id = str(uuid.uuid4())
    triggered = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    result = []
    for sub in sorted(store.subscriptions.values(), key=lambda s: s.id):
        if sub.topic != topic:
            continue
        data = (
            {k: v for k, v in payload.items() if k in sub.include_fields} if sub.include_fields else payload
        )
        body = json.dumps(data, separators=(",", ":"), default=str).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Shopify-Captain-Hook",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sign(secret, body),
            "X-Shopify-Shop-Domain": shop_domain,
            "X-Shopify-API-Version": sub.api_version,
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-Event-Id": event_id,
            "X-Shopify-Triggered-At": triggered,
        }
        result.append(Delivery(url=sub.uri, body=body, headers=headers, event_id=event_id, topic=topic))
    return result


def subscription_json(sub: Subscription, tz: Any) -> dict[str, Any]:
    """The REST Webhook resource."""
    return {
        "id": sub.id,
        "address": sub.uri,
        "topic": sub.topic,
        "created_at": shop_time(sub.created_at, tz),
        "updated_at": shop_time(sub.updated_at, tz),
        "format": sub.format.lower(),
        "fields": list(sub.include_fields),
        "metafield_namespaces": [],
        "api_version": sub.api_version,
        "private_metafield_namespaces": [],
    }
