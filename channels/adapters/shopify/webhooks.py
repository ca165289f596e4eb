"""Shopify webhooks: subscriptions, signature checks and the bodies turned into events.

A delivery is signed with base64(HMAC-SHA256(app client secret, raw body)) in
X-Shopify-Hmac-Sha256. X-Shopify-Event-Id is the same for every delivery (and retry) of one event,
so it is the de-duplication key; X-Shopify-Webhook-Id is the fallback. Order topics carry the
whole REST order; refunds/create carries the refund only, so it asks for the order instead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from typing import Any

from channels.adapters.base import (
    ChannelEvent,
    EventKind,
    InvalidWebhook,
    MalformedWebhook,
    PermanentChannelError,
    WebhookDelivery,
)

from . import queries
from .client import ShopifyClient
from .nodes import gid
from .orders import numeric_id, order_from_json, parse_time

ORDER_TOPICS = frozenset(
    {
        "orders/create",
        "orders/updated",
        "orders/paid",
        "orders/fulfilled",
        "orders/partially_fulfilled",
        "orders/cancelled",
    }
)
# What the hub subscribes to (GraphQL enum spelling). Not INVENTORY_LEVELS_UPDATE: it fires for
# every line of every sale (and for the hub's own writes), tripling the deliveries of a burst,
# while the hub already follows the shop's quantity through its own writes, the shop's orders,
# compare-and-set at each push and reconcile. The adapter still parses it if an admin adds it.
SUBSCRIBED_TOPICS = (
    "ORDERS_CREATE",
    "ORDERS_UPDATED",
    "ORDERS_CANCELLED",
    "REFUNDS_CREATE",
)
MAX_SUBSCRIPTION_PAGES = 50

# variant ids -> barcodes, for connections that match order lines by barcode
BarcodeLookup = Callable[[list[dict[str, Any]]], dict[str, str]]


def header(headers: Mapping[str, str], name: str) -> str:
    """Header lookup in any case: the webhook view keeps them lower-cased."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return str(value).strip()
    return ""


def verify(secret: str, headers: Mapping[str, str], body: bytes) -> WebhookDelivery:
    if not secret:
        raise InvalidWebhook("no webhook secret is configured for this Shopify connection")
    given = header(headers, "X-Shopify-Hmac-Sha256")
    if not given:
        raise InvalidWebhook("the X-Shopify-Hmac-Sha256 header is missing")
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    if not hmac.compare_digest(expected, given.encode("utf-8", errors="replace")):
        raise InvalidWebhook("the X-Shopify-Hmac-Sha256 signature does not match the body")
    topic = header(headers, "X-Shopify-Topic")
    key = header(headers, "X-Shopify-Event-Id") or header(headers, "X-Shopify-Webhook-Id")
    if not key:
        # Neither id (an old or hand-made delivery): the same body is the same delivery.
        key = f"{topic}:{hashlib.sha256(body).hexdigest()}"
    return WebhookDelivery(delivery_key=key, topic=topic)


def parse(
    headers: Mapping[str, str], body: bytes, *, barcodes: BarcodeLookup | None = None
) -> list[ChannelEvent]:
    topic = header(headers, "X-Shopify-Topic")
    text = body.decode("utf-8", errors="replace")
    try:
        payload = json.loads(body)
    except ValueError:
        raise MalformedWebhook(f"the {topic or 'Shopify'} webhook body is not JSON", raw=text) from None
    if not isinstance(payload, dict):
        raise MalformedWebhook(f"the {topic or 'Shopify'} webhook body is not a JSON object", raw=text)
    try:
        return [_event(topic, payload, barcodes)]
    except MalformedWebhook as exc:
        exc.raw = text
        raise
    except (ValueError, TypeError, KeyError) as exc:
        raise MalformedWebhook(f"the {topic} webhook cannot be read: {exc}", raw=text) from exc


def _event(topic: str, payload: dict[str, Any], barcodes: BarcodeLookup | None) -> ChannelEvent:
    if topic in ORDER_TOPICS:
        order = order_from_json(payload, barcodes=barcodes([payload]) if barcodes else None)
        return ChannelEvent(
            kind=EventKind.ORDER,
            topic=topic,
            external_id=order.external_id,
            occurred_at=order.updated_at,
            order=order,
        )
    if topic == "orders/delete":
        return ChannelEvent(EventKind.ORDER_DELETED, topic, external_id=numeric_id(payload.get("id"), "id"))
    if topic == "refunds/create":
        # The refund body has the refund, not the order: fetch the whole order instead.
        created = payload.get("created_at")
        return ChannelEvent(
            EventKind.ORDER_REFRESH,
            topic,
            external_id=numeric_id(payload.get("order_id"), "order_id"),
            occurred_at=parse_time(created, "created_at") if created else None,
        )
    if topic == "inventory_levels/update":
        item = gid("InventoryItem", numeric_id(payload.get("inventory_item_id"), "inventory_item_id"))
        available = payload.get("available")
        if available is not None and (isinstance(available, bool) or not isinstance(available, int)):
            raise ValueError(f"available is not a whole number: {available!r}")
        updated = payload.get("updated_at")
        return ChannelEvent(
            EventKind.INVENTORY_LEVEL,
            topic,
            external_id=item,
            occurred_at=parse_time(updated, "updated_at") if updated else None,
            quantity=available,  # null for an untracked item: nothing to note
            inventory_item_id=item,
            location_id=gid("Location", numeric_id(payload.get("location_id"), "location_id")),
        )
    raise MalformedWebhook(f"the hub does not handle the Shopify webhook topic {topic or '(none)'!r}")


def subscribe(client: ShopifyClient, callback_url: str) -> list[str]:
    """Subscribe `callback_url` to the topics the hub needs, skipping those it already has;
    returns the ids of all of them (existing and new)."""
    existing: dict[str, str] = {}
    after: str | None = None
    for _ in range(MAX_SUBSCRIPTION_PAGES):
        data = client.graphql(
            queries.SUBSCRIPTIONS,
            {"first": queries.SUBSCRIPTIONS_PAGE, "after": after},
            operation="Subscriptions",
            cost=queries.SUBSCRIPTIONS_COST,
        )
        connection = data.get("webhookSubscriptions") or {}
        for node in connection.get("nodes") or []:
            if node and node.get("uri") == callback_url:
                existing.setdefault(str(node.get("topic")), str(node.get("id")))
        info = connection.get("pageInfo") or {}
        after = info.get("endCursor") if info.get("hasNextPage") else None
        if not after:
            break
    ids = []
    for topic in SUBSCRIBED_TOPICS:
        if topic in existing:
            ids.append(existing[topic])
            continue
        data = client.graphql(
            queries.SUBSCRIBE,
            {"topic": topic, "subscription": {"uri": callback_url, "format": "JSON"}},
            operation="Subscribe",
            cost=queries.SUBSCRIBE_COST,
        )
        answer = data.get("webhookSubscriptionCreate") or {}
        problems = answer.get("userErrors") or []
        created = answer.get("webhookSubscription")
        if problems or not created:
            message = "; ".join(str(p.get("message")) for p in problems if isinstance(p, dict))
            raise PermanentChannelError(
                f"Shopify refused the {topic} webhook: {message or 'no subscription returned'}",
                raw=json.dumps(answer),
            )
        ids.append(str(created["id"]))
    return ids
