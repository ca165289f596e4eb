"""The WooCommerce channel: REST API v3 for listings, stock, orders and webhook subscriptions.

Ids: a simple product is a listing under its product id ("123"); a variable product is not a
listing itself, its variations are ("123:456", product id then variation id, the pair order lines
carry). Grouped and external products hold no stock of their own and are skipped. Nothing
WooCommerce-shaped leaves this module.

Stock writes are absolute `stock_quantity` values in products/batch and
products/<id>/variations/batch calls of at most 100 items. WooCommerce has no compare-and-set,
so `compare_quantity` is not sent and drift is found by reconcile (`read_quantities`). An
absolute write repeated after a lost answer sets the same number again: harmless.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import requests

from channels.adapters.base import (
    AdapterConfig,
    AuthError,
    ChannelEvent,
    EventKind,
    ExternalListing,
    ExternalOrder,
    InvalidWebhook,
    MalformedWebhook,
    NotSupported,
    Page,
    Payout,
    PermanentChannelError,
    PushOutcome,
    PushResult,
    StockUpdate,
    WebhookDelivery,
)

from .client import RAW_KEPT, WooAnswer, WooClient
from .orders import money, order_from_json, order_id, order_time, parse_gmt, whole

logger = logging.getLogger(__name__)

T = TypeVar("T")

PUSH_BATCH_LIMIT = 100  # WooCommerce's cap on objects per batch request (413 above it)
PAGE_SIZE = 100  # the largest per_page WooCommerce allows
MAX_PAGES = 200  # bound on any loop over pages inside one adapter call
# product.created, not product.updated: the latter fires for every line of every sale (stock
# moved), and the hub follows the shop's quantity without it; a new product is what matters.
WEBHOOK_TOPICS = ("order.created", "order.updated", "order.deleted", "order.restored", "product.created")
ORDER_TOPICS = frozenset({"order.created", "order.updated", "order.restored"})
PRODUCT_TOPICS = frozenset({"product.created", "product.updated"})
NO_STOCK_TYPES = frozenset({"grouped", "external"})  # containers and links, never stock
LISTING_FIELDS = (
    "id,name,type,status,sku,global_unique_id,manage_stock,stock_quantity,price,parent_id,"
    "date_modified_gmt,variations"
)
VARIATION_FIELDS = (
    "id,name,sku,global_unique_id,manage_stock,stock_quantity,price,parent_id,date_modified_gmt,attributes"
)
STOCK_FIELDS = "id,manage_stock,stock_quantity"
# The creation ping: WC_Webhook::deliver_ping() posts exactly this form body, unsigned.
_PING = re.compile(rb"webhook_id=(\d{1,20})")
_LISTING_ID = re.compile(r"^\s*(\d{1,20})(?::(\d{1,20}))?\s*$")


def _header(headers: Mapping[str, str], name: str) -> str:
    """Header lookup in any case: the webhook view keeps them lower-cased."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return str(value).strip()
    return ""


def _chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def parse_listing_id(value: str) -> tuple[int, int]:
    """("123" -> (123, 0)), ("123:456" -> (123, 456)); ValueError for anything else."""
    match = _LISTING_ID.match(str(value))
    if not match or int(match[1]) <= 0 or (match[2] is not None and int(match[2]) <= 0):
        raise ValueError(f"{value!r} is not a WooCommerce listing id (product or product:variation)")
    return int(match[1]), int(match[2] or 0)


def _gmt_or_none(value: Any) -> datetime | None:
    try:
        return parse_gmt(value, "date_modified_gmt")
    except (ValueError, TypeError):
        return None


def _variation_title(body: dict[str, Any], parent_name: str) -> str:
    name = str(body.get("name") or "")
    if name:
        return html.unescape(name)
    options = [
        str(a.get("option")) for a in body.get("attributes") or () if isinstance(a, dict) and a.get("option")
    ]
    return f"{parent_name} - {', '.join(options)}" if options else parent_name


def listing_from_json(body: dict[str, Any], *, parent_id: int = 0, parent_name: str = "") -> ExternalListing:
    """A simple product, or a variation (from the variations endpoint with its parent given, or
    product-shaped from /products/<id> with `parent_id` in the body)."""
    own_id = whole(body.get("id"))
    if own_id <= 0:
        raise ValueError(f"a product without an id: {str(body)[:200]}")
    if not parent_id and body.get("type") == "variation":
        parent_id = whole(body.get("parent_id"))
    # manage_stock is true, false, or "parent" for a variation whose stock is the parent's: that
    # number is shared by every such variation, so no single item can own it; not tracked here.
    tracked = body.get("manage_stock") is True
    price = body.get("price")
    if parent_id:
        external_id, product_id = f"{parent_id}:{own_id}", str(parent_id)
        title = _variation_title(body, parent_name)
    else:
        external_id, product_id = str(own_id), str(own_id)
        title = html.unescape(str(body.get("name") or ""))
    return ExternalListing(
        external_id=external_id,
        title=title,
        sku=str(body.get("sku") or ""),
        barcode=str(body.get("global_unique_id") or ""),
        tracked=tracked,
        quantity=whole(body.get("stock_quantity")) if tracked else None,
        external_product_id=product_id,
        price=money(price) if price not in (None, "") else None,
        updated_at=_gmt_or_none(body.get("date_modified_gmt")),
    )


@dataclass(frozen=True)
class OrdersCursor:
    """Where a catch-up stands: orders modified at or after `since` (whole seconds, UTC epoch),
    minus the ones already returned at exactly that second, on `page` of that query.

    Paging by page number over a list sorted by modification time loses orders: one modified
    while the catch-up runs moves to the end, and everything after it shifts back by one, over
    a page boundary. So each page restarts the query from the newest second seen; page numbers
    are only used while a whole page shares one second."""

    since: int | None
    page: int = 1
    seen: frozenset[int] = frozenset()

    def encode(self) -> str:
        since = "" if self.since is None else str(self.since)
        return f"o1:{since}:{self.page}:{','.join(str(i) for i in sorted(self.seen))}"

    @classmethod
    def decode(cls, cursor: str) -> OrdersCursor:
        try:
            version, since, page, seen = cursor.split(":", 3)
            if version != "o1":
                raise ValueError(version)
            return cls(
                since=int(since) if since else None,
                page=max(1, int(page)),
                seen=frozenset(int(i) for i in seen.split(",") if i),
            )
        except ValueError:
            raise PermanentChannelError(f"not a WooCommerce orders cursor: {cursor!r}") from None

    def modified_after(self) -> str | None:
        if self.since is None:
            return None
        # WooCommerce's modified_after is exclusive: one second earlier includes `since` itself.
        return datetime.fromtimestamp(self.since - 1, UTC).strftime("%Y-%m-%dT%H:%M:%S")

    def after(self, stamps: list[tuple[int, int]], *, full: bool) -> OrdersCursor | None:
        """The cursor after a page of (modified second, order id), or None after the last page."""
        if not full or not stamps:
            return None
        newest = max(second for second, _ in stamps)
        at_newest = frozenset(order for second, order in stamps if second == newest)
        if newest == self.since:
            return OrdersCursor(self.since, self.page + 1, self.seen | at_newest)
        return OrdersCursor(newest, 1, at_newest)


class WooCommerceAdapter:
    kind = "woocommerce"
    push_batch_limit = PUSH_BATCH_LIMIT

    def __init__(
        self,
        config: AdapterConfig,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        options = config.options or {}
        credentials = config.credentials or {}
        base_url = (config.base_url or "").strip()
        if not base_url and config.account_id:
            base_url = f"https://{config.account_id.strip().strip('/')}"
        self.client = WooClient(
            base_url=base_url,
            consumer_key=str(credentials.get("consumer_key") or ""),
            consumer_secret=str(credentials.get("consumer_secret") or ""),
            timeout=float(options.get("timeout") or 20.0),
            max_attempts=int(options.get("max_attempts") or 5),
            backoff_base=float(options.get("backoff_base") or 0.5),
            backoff_cap=float(options.get("backoff_cap") or 30.0),
            query_string_auth=bool(options.get("query_string_auth")),
            session=session,
            sleep=sleep,
        )
        self.page_size = max(1, min(PAGE_SIZE, int(options.get("page_size") or PAGE_SIZE)))

    # -- connection ----------------------------------------------------------------------------

    def check_connection(self) -> str:
        """The site's name from WordPress's public index, then one cheap authenticated read that
        proves the key. The index is best effort: security plugins often close it to anonymous
        callers, which says nothing about the key."""
        name = ""
        try:
            index = self.client.site_index().body
        except PermanentChannelError as exc:
            logger.info("the WordPress index is not readable: %s", exc, extra={"platform": "woocommerce"})
        else:
            if isinstance(index, dict):
                name = html.unescape(str(index.get("name") or "")).strip()
                namespaces = index.get("namespaces")
                if isinstance(namespaces, list) and "wc/v3" not in namespaces:
                    raise PermanentChannelError(
                        f"{self.client.site_url} runs WordPress without WooCommerce's REST API v3 "
                        "(is WooCommerce active?)",
                        code="no_wc_v3",
                    )
        self.client.get("products", {"per_page": 1, "_fields": "id"})
        return f"WooCommerce store {name or self.client.site_url}"

    # -- listings ------------------------------------------------------------------------------

    def fetch_listings(self, *, cursor: str | None = None) -> Page[ExternalListing]:
        """One page of products (by id, oldest first), variable ones replaced by their variations;
        the cursor is the next page number."""
        page = self._page_number(cursor)
        answer = self.client.get(
            "products",
            {
                "per_page": self.page_size,
                "page": page,
                "orderby": "id",
                "order": "asc",
                "_fields": LISTING_FIELDS,
            },
        )
        listings: list[ExternalListing] = []
        for body in self._list_body(answer, "products"):
            try:
                listings.extend(self._listings_of(body))
            except ValueError as exc:
                raise PermanentChannelError(
                    f"WooCommerce listed a product the hub cannot read: {exc}",
                    raw=json.dumps(body)[:RAW_KEPT],
                ) from exc
        more = (
            page < answer.total_pages
            if answer.total_pages is not None
            else len(answer.body) >= self.page_size
        )
        return Page(listings, str(page + 1) if more else None)

    def _listings_of(self, body: dict[str, Any]) -> list[ExternalListing]:
        kind = str(body.get("type") or "simple")
        if kind in NO_STOCK_TYPES:
            return []
        if kind != "variable":
            return [listing_from_json(body)]
        parent_id = whole(body.get("id"))
        if "variations" in body and not body.get("variations"):
            return []  # no variations: nothing to ask for
        name = html.unescape(str(body.get("name") or ""))
        return [
            listing_from_json(variation, parent_id=parent_id, parent_name=name)
            for variation in self._all_pages(
                f"products/{parent_id}/variations",
                {"orderby": "id", "order": "asc", "_fields": VARIATION_FIELDS},
            )
        ]

    def read_quantities(self, listing_external_ids: Sequence[str]) -> dict[str, int]:
        """The shop's stock of each tracked listing; listings the shop no longer has, or whose
        stock it does not manage, are left out."""
        simple: dict[int, list[str]] = {}
        variations: dict[int, dict[int, list[str]]] = {}
        for raw in listing_external_ids:
            try:
                product, variation = parse_listing_id(raw)
            except ValueError:
                continue
            if variation:
                variations.setdefault(product, {}).setdefault(variation, []).append(raw)
            else:
                simple.setdefault(product, []).append(raw)
        found: dict[str, int] = {}
        for chunk in _chunks(sorted(simple), PAGE_SIZE):
            for body in self._by_ids("products", chunk):
                for raw in simple.get(whole(body.get("id")), ()):
                    found[raw] = whole(body.get("stock_quantity"))
        for parent in sorted(variations):
            wanted = variations[parent]
            for chunk in _chunks(sorted(wanted), PAGE_SIZE):
                try:
                    bodies = self._by_ids(f"products/{parent}/variations", chunk)
                except PermanentChannelError as exc:
                    if isinstance(exc, AuthError) or exc.status not in (400, 404):
                        raise
                    continue  # the parent is gone: so are its variations
                for body in bodies:
                    for raw in wanted.get(whole(body.get("id")), ()):
                        found[raw] = whole(body.get("stock_quantity"))
        return found

    def _by_ids(self, path: str, ids: Sequence[int]) -> list[dict[str, Any]]:
        answer = self.client.get(
            path,
            {"include": ",".join(str(i) for i in ids), "per_page": PAGE_SIZE, "_fields": STOCK_FIELDS},
        )
        return [body for body in self._list_body(answer, path) if body.get("manage_stock") is True]

    # -- stock ---------------------------------------------------------------------------------

    def push_stock(self, updates: Sequence[StockUpdate], *, idempotency_key: str) -> list[PushResult]:
        """Absolute writes: simple products through products/batch, variations through their
        parent's variations/batch, at most 100 per call. One PushResult per update, in order."""
        results: list[PushResult | None] = [None] * len(updates)
        simple: list[tuple[int, int, StockUpdate]] = []
        by_parent: dict[int, list[tuple[int, int, StockUpdate]]] = {}
        # WooCommerce has no compare-and-set: read first and leave alone what moved since the hub
        # last knew it (the shop's own sales not yet processed, a manual edit), reported as drift,
        # so an absolute write never puts back units the shop has already sold. The window
        # between this read and the write is milliseconds, not the hub's processing lag.
        compared = [u.listing_external_id for u in updates if u.compare_quantity is not None]
        current = self.read_quantities(compared) if compared else {}
        for position, update in enumerate(updates):
            seen = current.get(update.listing_external_id)
            if update.compare_quantity is not None and seen == update.quantity:
                results[position] = PushResult(update.listing_external_id, PushOutcome.OK, quantity=seen)
                continue
            if update.compare_quantity is not None and seen is not None and seen != update.compare_quantity:
                results[position] = PushResult(
                    update.listing_external_id,
                    PushOutcome.DRIFT,
                    quantity=seen,
                    message=f"WooCommerce shows {seen}, the hub expected {update.compare_quantity}",
                )
                continue
            try:
                product, variation = parse_listing_id(update.listing_external_id)
            except ValueError as exc:
                results[position] = PushResult(
                    update.listing_external_id, PushOutcome.ERROR, message=str(exc)
                )
                continue
            if variation:
                by_parent.setdefault(product, []).append((position, variation, update))
            else:
                simple.append((position, product, update))
        for chunk in _chunks(simple, PUSH_BATCH_LIMIT):
            self._write_batch("products/batch", chunk, idempotency_key, results)
        for parent in sorted(by_parent):
            for chunk in _chunks(by_parent[parent], PUSH_BATCH_LIMIT):
                self._write_batch(f"products/{parent}/variations/batch", chunk, idempotency_key, results)
        return [
            result or PushResult(update.listing_external_id, PushOutcome.ERROR, message="not written")
            for result, update in zip(results, updates, strict=True)
        ]

    def _write_batch(
        self,
        path: str,
        rows: Sequence[tuple[int, int, StockUpdate]],
        idempotency_key: str,
        results: list[PushResult | None],
    ) -> None:
        payload = {
            # manage_stock with it: WooCommerce ignores stock_quantity on a product that does not
            # manage stock, and the hub only pushes listings it tracks.
            "update": [
                {"id": object_id, "manage_stock": True, "stock_quantity": update.quantity}
                for _, object_id, update in rows
            ]
        }
        try:
            answer = self.client.post(path, payload, idempotency_key=idempotency_key)
        except AuthError:
            raise
        except PermanentChannelError as exc:
            # One refused batch (a parent that is gone, say) must not stop the others.
            for position, _, update in rows:
                results[position] = PushResult(
                    update.listing_external_id, PushOutcome.ERROR, message=str(exc)
                )
            return
        entries = answer.body.get("update") if isinstance(answer.body, dict) else None
        if not isinstance(entries, list):
            raise PermanentChannelError(
                f"WooCommerce answered POST {path} without an `update` list",
                status=answer.status,
                raw=json.dumps(answer.body)[:RAW_KEPT],
            )
        by_id = {whole(entry.get("id")): entry for entry in entries if isinstance(entry, dict)}
        for position, object_id, update in rows:
            entry = by_id.get(object_id)
            if entry is None:
                results[position] = PushResult(
                    update.listing_external_id,
                    PushOutcome.ERROR,
                    message="WooCommerce's batch answer says nothing about this item",
                )
            elif isinstance(entry.get("error"), dict):
                error = entry["error"]
                message = html.unescape(str(error.get("message") or "refused"))
                code = str(error.get("code") or "")
                results[position] = PushResult(
                    update.listing_external_id,
                    PushOutcome.ERROR,
                    message=f"{message} ({code})" if code else message,
                )
            else:
                held = entry.get("stock_quantity")
                results[position] = PushResult(
                    update.listing_external_id,
                    PushOutcome.OK,
                    quantity=held
                    if isinstance(held, int) and not isinstance(held, bool)
                    else update.quantity,
                )

    # -- orders --------------------------------------------------------------------------------

    def fetch_orders(
        self, *, updated_since: datetime | None, cursor: str | None = None
    ) -> Page[ExternalOrder]:
        """Orders modified since `updated_since`, oldest change first (see OrdersCursor)."""
        if cursor:
            state = OrdersCursor.decode(cursor)
        else:
            since = None if updated_since is None else int(updated_since.astimezone(UTC).timestamp())
            state = OrdersCursor(since)
        params: dict[str, Any] = {
            "status": "any",
            "per_page": self.page_size,
            "orderby": "modified",
            "order": "asc",
            "page": state.page,
            "dates_are_gmt": "true",
        }
        modified_after = state.modified_after()
        if modified_after:
            params["modified_after"] = modified_after
        answer = self.client.get("orders", params)
        bodies = self._list_body(answer, "orders")
        orders: list[ExternalOrder] = []
        stamps: list[tuple[int, int]] = []
        for body in bodies:
            try:
                number = int(order_id(body.get("id")))
                second = int(order_time(body, "date_modified").timestamp())
            except ValueError as exc:
                raise PermanentChannelError(
                    f"WooCommerce listed an order the hub cannot read: {exc}", raw=json.dumps(body)[:RAW_KEPT]
                ) from exc
            stamps.append((second, number))
            if second == state.since and number in state.seen:
                continue  # returned by the previous page already
            orders.append(self._read_order(body))
        full = len(bodies) >= self.page_size and (
            answer.total_pages is None or state.page < answer.total_pages
        )
        following = state.after(stamps, full=full)
        return Page(orders, following.encode() if following else None)

    def fetch_order(self, external_id: str) -> ExternalOrder:
        try:
            number = order_id(external_id)
        except ValueError:
            raise PermanentChannelError(f"{external_id!r} is not a WooCommerce order id") from None
        body = self.client.get(f"orders/{number}").body
        if not isinstance(body, dict):
            raise PermanentChannelError(
                f"WooCommerce answered GET orders/{number} with something other than an order",
                raw=json.dumps(body)[:RAW_KEPT],
            )
        return self._read_order(body)

    def _order(self, body: dict[str, Any]) -> ExternalOrder:
        """The snapshot; refunded quantities need the refunds' lines, which the order JSON
        does not carry (only their ids and totals), so an order with refunds costs one read.
        Raises ValueError when the body is not an order (the caller says how that is shown)."""
        refunds: list[dict[str, Any]] = []
        if body.get("refunds"):
            refunds = self._all_pages(f"orders/{order_id(body.get('id'))}/refunds", {})
        return order_from_json(body, refunds)

    def _read_order(self, body: dict[str, Any]) -> ExternalOrder:
        try:
            return self._order(body)
        except ValueError as exc:
            raise PermanentChannelError(
                f"WooCommerce order cannot be read: {exc}", raw=json.dumps(body)[:RAW_KEPT]
            ) from exc

    # -- webhooks ------------------------------------------------------------------------------

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookDelivery:
        """X-WC-Webhook-Signature = base64(HMAC-SHA256(secret, raw body)), checked in constant
        time. The one exception is the creation ping, which WooCommerce sends unsigned: it is
        accepted when its body is exactly `webhook_id=<digits>`, and it changes nothing."""
        signature = _header(headers, "X-WC-Webhook-Signature")
        ping = _PING.fullmatch(body)
        if not signature:
            if ping:
                return WebhookDelivery(delivery_key=f"ping-{int(ping[1])}", topic="ping")
            raise InvalidWebhook("the X-WC-Webhook-Signature header is missing")
        secret = self.config.webhook_secret
        if not secret:
            raise InvalidWebhook("no webhook secret is configured for this WooCommerce connection")
        expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
        if not hmac.compare_digest(expected, signature.encode("utf-8", errors="replace")):
            raise InvalidWebhook("the X-WC-Webhook-Signature signature does not match the body")
        topic = _header(headers, "X-WC-Webhook-Topic")
        if ping and topic in ("", "ping"):
            return WebhookDelivery(delivery_key=f"ping-{int(ping[1])}", topic="ping")
        # The Delivery-ID is wp_hash(webhook id . current second): two events on one webhook in
        # the same second share it. With the body's digest beside it, a resent delivery still
        # de-duplicates while two different events do not swallow each other.
        digest = hashlib.sha256(body).hexdigest()[:32]
        delivery = _header(headers, "X-WC-Webhook-Delivery-ID")
        key = f"{delivery}:{digest}" if delivery else f"{topic}:{digest}"
        return WebhookDelivery(delivery_key=key, topic=topic)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list[ChannelEvent]:
        topic = _header(headers, "X-WC-Webhook-Topic")
        ping = _PING.fullmatch(body)
        if ping and topic in ("", "ping"):
            return [ChannelEvent(EventKind.PING, "ping", external_id=str(int(ping[1])))]
        text = body.decode("utf-8", errors="replace")
        label = topic or "WooCommerce"
        if topic not in ORDER_TOPICS | PRODUCT_TOPICS | {"order.deleted"}:
            raise MalformedWebhook(
                f"the hub does not handle the WooCommerce webhook topic {topic or '(none)'!r}"
            )
        try:
            payload = json.loads(body)
        except ValueError:
            raise MalformedWebhook(f"the {label} webhook body is not JSON", raw=text) from None
        if not isinstance(payload, dict):
            raise MalformedWebhook(f"the {label} webhook body is not a JSON object", raw=text)
        try:
            return [self._event(topic, payload)]
        except (ValueError, TypeError, KeyError) as exc:
            raise MalformedWebhook(f"the {label} webhook cannot be read: {exc}", raw=text) from exc

    def _event(self, topic: str, payload: dict[str, Any]) -> ChannelEvent:
        if topic in ORDER_TOPICS:
            order = self._order(payload)
            return ChannelEvent(
                EventKind.ORDER,
                topic,
                external_id=order.external_id,
                occurred_at=order.updated_at,
                order=order,
            )
        if topic == "order.deleted":
            return ChannelEvent(EventKind.ORDER_DELETED, topic, external_id=order_id(payload.get("id")))
        # product.created / product.updated: a simple product, a variation (product-shaped), or a
        # variable parent, whose listings are its variations, read fresh.
        product = whole(payload.get("id"))
        if product <= 0:
            raise ValueError("the product has no id")
        return ChannelEvent(
            EventKind.LISTING,
            topic,
            external_id=str(product),
            occurred_at=_gmt_or_none(payload.get("date_modified_gmt")),
            listings=tuple(self._listings_of(payload)),
        )

    def register_webhooks(self, callback_url: str) -> list[str]:
        """One webhook per topic for this URL, signed with the connection's secret. Ones already
        there are kept (and switched back on if WooCommerce disabled them after failures)."""
        url = callback_url.strip()
        secret = self.config.webhook_secret
        if not secret:
            raise PermanentChannelError(
                "set the connection's webhook secret first: WooCommerce would otherwise sign with "
                "a random one the hub cannot know"
            )
        mine: dict[str, dict[str, Any]] = {}
        for hook in self._all_pages("webhooks", {"status": "all", "orderby": "id", "order": "asc"}):
            topic = str(hook.get("topic") or "")
            if str(hook.get("delivery_url") or "").strip() != url or topic not in WEBHOOK_TOPICS:
                continue
            if topic not in mine or (
                hook.get("status") == "active" and mine[topic].get("status") != "active"
            ):
                mine[topic] = hook
        ids: list[str] = []
        for topic in WEBHOOK_TOPICS:
            existing = mine.get(topic)
            if existing is None:
                created = self.client.post(
                    "webhooks",
                    {
                        "name": f"inventory-sync {topic}",
                        "topic": topic,
                        "delivery_url": url,
                        "secret": secret,
                        "status": "active",
                    },
                ).body
                ids.append(str(whole(created.get("id") if isinstance(created, dict) else None)))
                logger.info(
                    "registered a WooCommerce webhook", extra={"topic": topic, "platform": "woocommerce"}
                )
                continue
            if existing.get("status") != "active":
                # The secret goes with it: the one it was created with is not readable back.
                self.client.put(
                    f"webhooks/{whole(existing.get('id'))}", {"status": "active", "secret": secret}
                )
                logger.info(
                    "re-activated a WooCommerce webhook",
                    extra={"topic": topic, "platform": "woocommerce", "was": existing.get("status")},
                )
            ids.append(str(whole(existing.get("id"))))
        return ids

    # -- payouts -------------------------------------------------------------------------------

    def fetch_payouts(self, *, since: date | None, cursor: str | None = None) -> Page[Payout]:
        raise NotSupported("WooCommerce has no payouts: post its sales per order instead")

    # -- helpers -------------------------------------------------------------------------------

    @staticmethod
    def _page_number(cursor: str | None) -> int:
        if not cursor:
            return 1
        if not cursor.isdigit() or int(cursor) < 1:
            raise PermanentChannelError(f"not a WooCommerce page cursor: {cursor!r}")
        return int(cursor)

    @staticmethod
    def _list_body(answer: WooAnswer, path: str) -> list[dict[str, Any]]:
        if not isinstance(answer.body, list):
            raise PermanentChannelError(
                f"WooCommerce answered GET {path} with something other than a list",
                status=answer.status,
                raw=json.dumps(answer.body)[:RAW_KEPT],
            )
        return [body for body in answer.body if isinstance(body, dict)]

    def _all_pages(self, path: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            answer = self.client.get(path, {**params, "per_page": PAGE_SIZE, "page": page})
            batch = self._list_body(answer, path)
            items.extend(batch)
            if len(batch) < PAGE_SIZE or (answer.total_pages is not None and page >= answer.total_pages):
                break
        else:
            logger.warning("stopped paging %s after %d pages", path, MAX_PAGES, extra={"path": path})
        return items
