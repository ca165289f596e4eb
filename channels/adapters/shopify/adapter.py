"""The Shopify channel adapter: Admin GraphQL for listings, stock and webhook subscriptions; REST
for orders (the order webhooks carry the same REST JSON) and Shopify Payments payouts.

Ids: a listing is a product variant, known by its numeric id (REST order lines carry
`variant_id` numbers); inventory items and locations are kept as GraphQL gids, the form
`inventorySetQuantities` takes. Nothing Shopify-shaped leaves this package: stock writes live in
stock.py, webhooks in webhooks.py, payouts in payouts.py, order JSON in orders.py.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import requests

from channels.adapters.base import (
    AdapterConfig,
    ChannelEvent,
    ExternalListing,
    ExternalOrder,
    Page,
    Payout,
    PermanentChannelError,
    PushResult,
    StockUpdate,
    WebhookDelivery,
)

from . import queries, webhooks
from .client import ShopifyClient
from .nodes import NODES_LIMIT, available, chunks, gid, gid_number, is_variant_id
from .orders import money, order_from_json, parse_time
from .payouts import PayoutReader
from .stock import PUSH_BATCH_LIMIT, StockWriter

logger = logging.getLogger(__name__)

DEFAULT_API_VERSION = "2026-10"


def _setting(name: str, default: Any) -> Any:
    """A Django setting read when the adapter is built; the default outside Django (a script)."""
    try:
        from django.conf import settings

        return getattr(settings, name, default)
    except Exception:  # ImproperlyConfigured: no settings module
        return default


class ShopifyAdapter:
    """AdapterConfig: base_url (the shop's URL), credentials {"access_token"}, webhook_secret (the
    app's client secret), location_id (a Location gid or number; empty: the primary location),
    options: api_version, timeout, max_attempts, backoff_base, backoff_cap, page sizes, reason,
    order_barcodes (look up line barcodes for connections that match by barcode)."""

    kind = "shopify"
    push_batch_limit = PUSH_BATCH_LIMIT

    def __init__(
        self,
        config: AdapterConfig,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        options = config.options or {}
        base_url = (config.base_url or "").strip().rstrip("/")
        if not base_url and config.account_id:
            base_url = f"https://{config.account_id.strip().strip('/')}"
        if not base_url:
            raise PermanentChannelError("the Shopify connection has no shop URL")
        token = str((config.credentials or {}).get("access_token") or "")
        if not token:
            raise PermanentChannelError("the Shopify connection has no access token")
        self.api_version = str(
            options.get("api_version") or _setting("SHOPIFY_API_VERSION", DEFAULT_API_VERSION)
        )
        self.client = ShopifyClient(
            base_url=base_url,
            access_token=token,
            api_version=self.api_version,
            timeout=float(options.get("timeout") or _setting("HTTP_TIMEOUT_SECONDS", 20.0)),
            max_attempts=int(options.get("max_attempts") or 5),
            backoff_base=float(options.get("backoff_base") or 0.5),
            backoff_cap=float(options.get("backoff_cap") or 30.0),
            session=session,
            sleep=sleep,
            clock=clock,
        )
        self.listings_page_size = int(options.get("listings_page_size") or 200)
        self.orders_page_size = int(options.get("orders_page_size") or 250)
        # Shopify's order JSON has no barcodes; a connection matching by barcode needs them looked up.
        self.order_barcodes = bool(options.get("order_barcodes"))
        self._location: str | None = gid("Location", config.location_id) if config.location_id else None
        self.stock = StockWriter(
            self.client,
            api_version=self.api_version,
            reason=str(options.get("reason") or "correction"),
            location=self.location_gid,
        )
        self.payouts = PayoutReader(
            self.client,
            page_size=int(options.get("payouts_page_size") or 50),
            transactions_page_size=int(options.get("transactions_page_size") or 250),
        )

    # -- connection ----------------------------------------------------------------------------

    def check_connection(self) -> str:
        data = self.client.graphql(queries.SHOP, operation="Shop", cost=queries.SHOP_COST)
        shop = data.get("shop") or {}
        served = self.client.served_version
        if served and served != self.api_version:
            logger.warning(
                "Shopify serves API version %s instead of %s: update SHOPIFY_API_VERSION",
                served,
                self.api_version,
                extra={"platform": "shopify", "requested": self.api_version, "served": served},
            )
        return f"Shopify shop {shop.get('name') or shop.get('myshopifyDomain') or '?'}"

    def location_gid(self) -> str:
        """The configured location, else the shop's primary (else first active) one, looked up once."""
        if self._location:
            return self._location
        data = self.client.graphql(queries.LOCATIONS, operation="Locations", cost=queries.LOCATIONS_COST)
        nodes = [n for n in ((data.get("locations") or {}).get("nodes") or []) if isinstance(n, dict)]
        chosen = next((n for n in nodes if n.get("isPrimary") and n.get("isActive")), None) or next(
            (n for n in nodes if n.get("isActive")), None
        )
        if chosen is None:
            raise PermanentChannelError("the Shopify shop has no active location")
        self._location = str(chosen["id"])
        return self._location

    # -- listings and quantities ---------------------------------------------------------------

    def fetch_listings(self, *, cursor: str | None = None) -> Page[ExternalListing]:
        location = self.location_gid()
        data = self.client.graphql(
            queries.LISTINGS,
            {"first": self.listings_page_size, "after": cursor, "location": location},
            operation="Listings",
            cost=queries.listings_cost(self.listings_page_size),
        )
        connection = data.get("productVariants") or {}
        try:
            listings = [self._listing(node, location) for node in connection.get("nodes") or [] if node]
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise PermanentChannelError(
                f"Shopify sent a variant the hub cannot read: {exc}", raw=json.dumps(data, default=str)
            ) from exc
        info = connection.get("pageInfo") or {}
        following = info.get("endCursor") if info.get("hasNextPage") else None
        return Page(listings, str(following) if following else None)

    def _listing(self, node: dict[str, Any], location: str) -> ExternalListing:
        item = node.get("inventoryItem") or {}
        product = node.get("product") or {}
        tracked = bool(item.get("tracked"))
        title = str(product.get("title") or "")
        variant_title = str(node.get("title") or "")
        if variant_title and variant_title != "Default Title":
            title = f"{title} - {variant_title}" if title else variant_title
        updated = node.get("updatedAt")
        return ExternalListing(
            external_id=gid_number(str(node.get("legacyResourceId") or node["id"])),
            title=title,
            sku=str(node.get("sku") or "").strip(),
            barcode=str(node.get("barcode") or "").strip(),
            tracked=tracked,
            # Not stocked at the location (no level): unknown, not zero.
            quantity=available(item.get("inventoryLevel")) if tracked else None,
            external_product_id=str(product.get("legacyResourceId") or ""),
            inventory_item_id=str(item.get("id") or ""),
            location_id=location,
            price=money(node.get("price"), "price") if node.get("price") is not None else None,
            updated_at=parse_time(updated, "updatedAt") if updated else None,
        )

    def read_quantities(self, listing_external_ids: Sequence[str]) -> dict[str, int]:
        """Available at the connection's location per variant; untracked or unknown variants
        are left out (there is nothing to compare them with)."""
        location = self.location_gid()
        found: dict[str, int] = {}
        ids = list(dict.fromkeys(str(i) for i in listing_external_ids if is_variant_id(str(i))))
        for chunk in chunks(ids, NODES_LIMIT):
            data = self.client.graphql(
                queries.VARIANT_QUANTITIES,
                {"ids": [gid("ProductVariant", i) for i in chunk], "location": location},
                operation="VariantQuantities",
                cost=queries.VARIANT_QUANTITIES_NODE_COST * len(chunk),
            )
            for listing_id, node in zip(chunk, data.get("nodes") or [], strict=False):
                item = (node or {}).get("inventoryItem") or {}
                quantity = available(item.get("inventoryLevel"))
                if item.get("tracked") and quantity is not None:
                    found[listing_id] = quantity
        return found

    def push_stock(self, updates: Sequence[StockUpdate], *, idempotency_key: str) -> list[PushResult]:
        return self.stock.push(updates, idempotency_key=idempotency_key)

    # -- orders --------------------------------------------------------------------------------

    def fetch_orders(
        self, *, updated_since: datetime | None, cursor: str | None = None
    ) -> Page[ExternalOrder]:
        params: dict[str, Any] = {"limit": self.orders_page_size}
        if cursor:
            params["page_info"] = cursor  # the first request's filters travel inside it
        else:
            params["status"] = "any"
            if updated_since is not None:
                params["updated_at_min"] = updated_since.isoformat()
        answer = self.client.rest_get("orders.json", params)
        bodies = answer.body.get("orders") if isinstance(answer.body, dict) else None
        if not isinstance(bodies, list):
            raise PermanentChannelError(
                "Shopify's orders answer has no orders list", raw=json.dumps(answer.body)
            )
        return Page(self._orders(bodies), answer.next_page_info)

    def fetch_order(self, external_id: str) -> ExternalOrder:
        number = gid_number(str(external_id))
        if not number.isdigit():
            raise PermanentChannelError(f"{external_id!r} is not a Shopify order id")
        try:
            answer = self.client.rest_get(f"orders/{number}.json")
        except PermanentChannelError as exc:
            if exc.status == 404:
                raise PermanentChannelError(
                    f"Shopify has no order {number}", status=404, raw=exc.raw, code="not_found"
                ) from exc
            raise
        body = answer.body.get("order") if isinstance(answer.body, dict) else None
        return self._orders([body])[0]

    def _orders(self, bodies: list[Any]) -> list[ExternalOrder]:
        barcodes = self._barcodes(bodies) if self.order_barcodes else None
        orders = []
        for body in bodies:
            try:
                orders.append(order_from_json(body, barcodes=barcodes))
            except (ValueError, TypeError) as exc:
                raise PermanentChannelError(
                    f"Shopify sent an order the hub cannot read: {exc}", raw=json.dumps(body, default=str)
                ) from exc
        return orders

    def _barcodes(self, bodies: Iterable[Any]) -> dict[str, str]:
        """Barcodes of the variants on these orders' lines: one nodes() query per 250."""
        variants = sorted(
            {
                str(line.get("variant_id"))
                for body in bodies
                if isinstance(body, dict)
                for line in body.get("line_items") or ()
                if isinstance(line, dict) and line.get("variant_id")
            }
        )
        found: dict[str, str] = {}
        for chunk in chunks(variants, NODES_LIMIT):
            data = self.client.graphql(
                queries.VARIANT_ITEMS,
                {"ids": [gid("ProductVariant", v) for v in chunk]},
                operation="VariantItems",
                cost=queries.VARIANT_ITEMS_NODE_COST * len(chunk),
            )
            for variant, node in zip(chunk, data.get("nodes") or [], strict=False):
                if node and node.get("barcode"):
                    found[variant] = str(node["barcode"]).strip()
        return found

    # -- webhooks and payouts ------------------------------------------------------------------

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookDelivery:
        return webhooks.verify(self.config.webhook_secret, headers, body)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list[ChannelEvent]:
        return webhooks.parse(headers, body, barcodes=self._barcodes if self.order_barcodes else None)

    def register_webhooks(self, callback_url: str) -> list[str]:
        return webhooks.subscribe(self.client, callback_url)

    def fetch_payouts(self, *, since: date | None, cursor: str | None = None) -> Page[Payout]:
        return self.payouts.fetch(since=since, cursor=cursor)
