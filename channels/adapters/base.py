"""The hub's one small interface to the outside world.

Each platform is a package `channels/adapters/<platform>/` with `client.py` (HTTP only: auth,
timeouts, retries, rate limits) and `adapter.py` (platform JSON <-> the frozen dataclasses
below). Nothing platform-shaped travels past an adapter: the sync engine sees only these types.
Failures are typed: `TransientChannelError` (retry later, honouring `retry_after`),
`PermanentChannelError` (park and show the merchant; `AuthError` means reconnect), and
`InvalidWebhook` (answer 401/400, store nothing).

Adding a platform is one new package that calls `register(kind, factory)` in its __init__.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

T = TypeVar("T")

# ------------------------------------------------------------------------------------------
# Errors


class ChannelError(Exception):
    """A platform call failed. `raw` keeps the platform's body for the activity log."""

    def __init__(
        self, message: str, *, status: int | None = None, raw: str | None = None, code: str = ""
    ) -> None:
        super().__init__(message)
        self.status = status
        self.raw = raw
        self.code = code


class TransientChannelError(ChannelError):
    """Worth retrying: 429, 5xx, timeouts, connection errors."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class PermanentChannelError(ChannelError):
    """Retrying will not help (validation fault, unknown object, an answer that does not parse)."""


class AuthError(PermanentChannelError):
    """Credentials were refused or revoked: the merchant must reconnect."""


class InvalidWebhook(Exception):
    """A webhook delivery failed verification (bad or missing signature): 401, nothing stored."""


class MalformedWebhook(PermanentChannelError):
    """A verified delivery whose body cannot be understood: kept, shown, not processed."""


class NotSupported(PermanentChannelError):
    """The platform has no such capability (payouts on WooCommerce, say)."""


# ------------------------------------------------------------------------------------------
# Boundary types


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None = None  # None: this was the last page

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)


@dataclass(frozen=True)
class AdapterConfig:
    """What an adapter needs from a Connection, without the Django model."""

    kind: str
    base_url: str
    credentials: Mapping[str, Any]
    webhook_secret: str = ""
    account_id: str = ""  # realm id, shop domain
    location_id: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OAuthTokens:
    access_token: str
    refresh_token: str
    expires_at: datetime
    refresh_expires_at: datetime | None = None


class TokenProvider(Protocol):
    """OAuth tokens for adapters whose platform expires them (QuickBooks). The channels layer
    implements it over the Connection row, refreshing under a row lock."""

    def access_token(self) -> str: ...

    def refreshed_access_token(self, rejected: str) -> str:
        """Called after a 401 with the token that was refused; returns a working one."""
        ...


class ItemKind(StrEnum):
    INVENTORY = "inventory"
    NON_INVENTORY = "non_inventory"
    SERVICE = "service"
    OTHER = "other"  # group, category, bundle: imported as skipped with a reason


@dataclass(frozen=True)
class ExternalItem:
    """A master item (QuickBooks Item)."""

    external_id: str
    name: str
    sku: str
    kind: ItemKind
    active: bool
    tracked: bool
    qty_on_hand: Decimal | None
    updated_at: datetime
    sync_token: str = ""
    description: str = ""
    barcode: str = ""
    cost: Decimal | None = None
    sales_price: Decimal | None = None
    reorder_point: Decimal | None = None
    preferred_vendor: str = ""


@dataclass(frozen=True)
class ExternalCustomer:
    external_id: str
    display_name: str
    active: bool
    email: str = ""
    updated_at: datetime | None = None


@dataclass(frozen=True)
class ExternalAccount:
    external_id: str
    name: str
    account_type: str  # Income, Cost of Goods Sold, Other Current Asset, ...


@dataclass(frozen=True)
class ExternalListing:
    """A channel's sellable product or variant."""

    external_id: str  # Shopify variant id; WooCommerce "product" or "product:variation"
    title: str
    sku: str
    barcode: str
    tracked: bool
    quantity: int | None  # the channel's quantity at the configured location, if tracked
    external_product_id: str = ""
    inventory_item_id: str = ""
    location_id: str = ""
    price: Decimal | None = None
    updated_at: datetime | None = None


class OrderStatus(StrEnum):
    OPEN = "open"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


@dataclass(frozen=True)
class ExternalOrderLine:
    external_id: str
    sku: str
    barcode: str
    title: str
    quantity: int
    refunded_quantity: int = 0
    unit_price: Decimal = Decimal(0)
    listing_external_id: str = ""


@dataclass(frozen=True)
class ExternalOrder:
    """A full snapshot of an order as the channel sees it now."""

    external_id: str
    number: str
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    lines: tuple[ExternalOrderLine, ...]
    financial_status: str = ""
    currency: str = ""
    total: Decimal = Decimal(0)
    customer_name: str = ""


@dataclass(frozen=True)
class StockUpdate:
    """Write `quantity` to one listing; `compare_quantity` is what the hub believes the channel
    holds now (compare-and-set where the platform supports it, so a manual edit shows as drift)."""

    listing_external_id: str
    quantity: int
    compare_quantity: int | None = None
    inventory_item_id: str = ""
    location_id: str = ""


class PushOutcome(StrEnum):
    OK = "ok"
    DRIFT = "drift"  # the channel's quantity was not the compare value: nothing written
    ERROR = "error"


@dataclass(frozen=True)
class PushResult:
    listing_external_id: str
    outcome: PushOutcome
    quantity: int | None = None  # written (ok) or observed on the channel (drift), when known
    message: str = ""


class EventKind(StrEnum):
    ORDER = "order"  # `order` holds the full snapshot
    ORDER_REFRESH = "order_refresh"  # only `external_id`: fetch the order (refunds, partial bodies)
    ORDER_DELETED = "order_deleted"
    INVENTORY_LEVEL = "inventory_level"  # the channel's own quantity changed (sale or manual edit)
    LISTING = "listing"  # a product changed on the channel; `listings` holds snapshots
    MASTER_CHANGE = "master_change"  # a master entity changed: `entity`, `external_id`
    PING = "ping"


@dataclass(frozen=True)
class ChannelEvent:
    kind: EventKind
    topic: str
    external_id: str = ""
    occurred_at: datetime | None = None
    order: ExternalOrder | None = None
    listings: tuple[ExternalListing, ...] = ()
    entity: str = ""  # master entity name: Item, Bill, SalesReceipt, ...
    operation: str = ""  # Create, Update, Delete, Void, Merge
    quantity: int | None = None  # INVENTORY_LEVEL: the channel's quantity now
    inventory_item_id: str = ""
    location_id: str = ""


@dataclass(frozen=True)
class WebhookDelivery:
    """What verification learns before anything is stored: the de-duplication key of this
    delivery (the platform's event id when it has one) and its topic."""

    delivery_key: str
    topic: str


@dataclass(frozen=True)
class Payout:
    external_id: str
    status: str  # scheduled, in_transit, paid, failed, canceled
    date: date
    currency: str
    amount: Decimal
    order_external_ids: tuple[str, ...]  # orders charged in this payout
    refund_order_external_ids: tuple[str, ...] = ()  # orders refunded in this payout
    fees: Decimal = Decimal(0)
    gross_sales: Decimal = Decimal(0)
    refunds: Decimal = Decimal(0)


@dataclass(frozen=True)
class SaleLine:
    item_external_id: str
    quantity: Decimal
    amount: Decimal
    description: str = ""


class SaleKind(StrEnum):
    SALES_RECEIPT = "sales_receipt"
    INVOICE = "invoice"


@dataclass(frozen=True)
class SalePosting:
    kind: SaleKind
    request_id: str  # idempotency key: the same id never creates a second transaction
    customer_external_id: str
    txn_date: date
    doc_number: str
    lines: tuple[SaleLine, ...]
    memo: str = ""
    deposit_account_external_id: str = ""


@dataclass(frozen=True)
class PostedSale:
    external_id: str
    doc_number: str
    total: Decimal


@dataclass(frozen=True)
class MasterChanges:
    """What changed in the master since a cursor: items re-read, plus the ids of items named
    on changed transactions (their quantity may have moved without an item event)."""

    items: list[ExternalItem]
    affected_item_ids: frozenset[str]
    cursor: datetime  # pass back next time


@dataclass(frozen=True)
class NewMasterItem:
    name: str
    sku: str
    kind: ItemKind
    description: str = ""
    sales_price: Decimal | None = None
    cost: Decimal | None = None
    qty_on_hand: Decimal = Decimal(0)
    income_account_id: str = ""
    expense_account_id: str = ""
    asset_account_id: str = ""
    request_id: str = ""


# ------------------------------------------------------------------------------------------
# The interface


@runtime_checkable
class Adapter(Protocol):
    kind: str

    def check_connection(self) -> str:
        """One cheap authenticated call; returns a human description (shop or company name)."""
        ...

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookDelivery:
        """Check the signature in constant time; raise InvalidWebhook when it is wrong or absent."""
        ...

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list[ChannelEvent]:
        """Turn a verified delivery into events; raise MalformedWebhook when it cannot."""
        ...


@runtime_checkable
class ChannelAdapter(Adapter, Protocol):
    push_batch_limit: int

    def fetch_listings(self, *, cursor: str | None = None) -> Page[ExternalListing]: ...

    def fetch_orders(
        self, *, updated_since: datetime | None, cursor: str | None = None
    ) -> Page[ExternalOrder]: ...

    def fetch_order(self, external_id: str) -> ExternalOrder: ...

    def push_stock(self, updates: Sequence[StockUpdate], *, idempotency_key: str) -> list[PushResult]:
        """Write quantities in the platform's largest batches; one PushResult per update."""
        ...

    def read_quantities(self, listing_external_ids: Sequence[str]) -> dict[str, int]:
        """The channel's current quantity of each listing (for reconcile and previews)."""
        ...

    def register_webhooks(self, callback_url: str) -> list[str]:
        """Subscribe the hub's URL to the topics it needs; returns subscription ids."""
        ...

    def fetch_payouts(self, *, since: date | None, cursor: str | None = None) -> Page[Payout]:
        """Paid-out payouts with the orders they contain; NotSupported where there are none."""
        ...


@runtime_checkable
class MasterAdapter(Adapter, Protocol):
    def count_items(self) -> int:
        """How many items an import will go through (for its progress bar)."""
        ...

    def fetch_items(self, *, cursor: str | None = None) -> Page[ExternalItem]: ...

    def fetch_items_by_id(self, external_ids: Sequence[str]) -> list[ExternalItem]: ...

    def fetch_customers(self, *, cursor: str | None = None) -> Page[ExternalCustomer]: ...

    def fetch_accounts(self) -> list[ExternalAccount]: ...

    def fetch_changes(self, *, since: datetime) -> MasterChanges: ...

    def items_on_transaction(self, entity: str, external_id: str) -> frozenset[str]:
        """Ids of the items named on one transaction (for a webhook about a Bill, say)."""
        ...

    def post_sale(self, posting: SalePosting) -> PostedSale: ...

    def create_item(self, item: NewMasterItem) -> ExternalItem: ...


# ------------------------------------------------------------------------------------------
# Registry

AdapterFactory = Callable[[AdapterConfig, TokenProvider | None], Adapter]
# For platforms with expiring OAuth tokens: (config, refresh token) -> new tokens.
TokenRefresher = Callable[[AdapterConfig, str], OAuthTokens]


@dataclass(frozen=True)
class Platform:
    kind: str
    factory: AdapterFactory
    refresher: TokenRefresher | None = None


_REGISTRY: dict[str, Platform] = {}
PLATFORM_PACKAGES = ("quickbooks", "shopify", "woocommerce")


def register(kind: str, factory: AdapterFactory, *, refresher: TokenRefresher | None = None) -> None:
    _REGISTRY[kind] = Platform(kind, factory, refresher)


def load_platforms() -> None:
    """Import every platform's adapter package (each registers itself). Done lazily on first use;
    workers call it at start, so their first jobs do not pay for the imports (about 0.4 s)."""
    for package in PLATFORM_PACKAGES:
        importlib.import_module(f"channels.adapters.{package}")


def platform(kind: str) -> Platform:
    if kind not in _REGISTRY:
        load_platforms()
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise NotSupported(f"no adapter for connection kind {kind!r}") from None
