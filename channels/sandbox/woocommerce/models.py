"""The shop's records: products and variations (one WP post type each), orders with their line
items and refunds, and webhook subscriptions.

Products, variations, orders and refunds share one id sequence, as they share the wp_posts table
in WooCommerce; line items and webhooks have their own tables and sequences.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any, TypeVar

T = TypeVar("T")

STOCK_STATUSES = ("instock", "outofstock", "onbackorder")
BACKORDERS = ("no", "notify", "yes")
ORDER_STATUSES = (
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
    "checkout-draft",
)
# Statuses whose transition reduces stock (wc_maybe_reduce_stock_levels) or gives it back
# (wc_maybe_increase_stock_levels).
REDUCING_STATUSES = ("processing", "on-hold", "completed")
RESTORING_STATUSES = ("cancelled", "pending")


@dataclass
class Product:
    id: int
    type: str  # simple, variable, grouped, external, variation
    name: str
    slug: str
    date_created: datetime
    date_modified: datetime
    status: str = "publish"
    parent_id: int = 0
    sku: str = ""
    global_unique_id: str = ""
    regular_price: str = ""
    sale_price: str = ""
    description: str = ""
    short_description: str = ""
    manage_stock: bool = False
    stock_quantity: int | None = None
    stock_status: str = "instock"
    backorders: str = "no"
    low_stock_amount: int | None = None
    sold_individually: bool = False
    virtual: bool = False
    downloadable: bool = False
    tax_status: str = "taxable"
    tax_class: str = ""
    weight: str = ""
    menu_order: int = 0
    total_sales: int = 0
    featured: bool = False
    catalog_visibility: str = "visible"
    # Product attributes: {name, position, visible, variation, options}; a variation's are
    # {name, option}.
    attributes: list[dict[str, Any]] = field(default_factory=list)
    variation_ids: list[int] = field(default_factory=list)
    meta_data: list[dict[str, Any]] = field(default_factory=list)

    @property
    def price(self) -> str:
        return self.sale_price or self.regular_price


@dataclass
class LineItem:
    id: int
    name: str
    product_id: int
    variation_id: int
    quantity: int
    subtotal: float
    total: float
    sku: str = ""
    parent_name: str | None = None
    reduced_stock: int = 0  # the _reduced_stock item meta: what this line took from the shelf
    restocked_by_refunds: int = 0


@dataclass
class Refund:
    id: int
    date_created: datetime
    amount: float
    reason: str
    refunded_payment: bool
    # {id, refunded_item_id, name, product_id, variation_id, quantity, total, sku}
    line_items: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Order:
    id: int
    order_key: str
    status: str
    currency: str
    date_created: datetime
    date_modified: datetime
    date_paid: datetime | None = None
    date_completed: datetime | None = None
    customer_id: int = 0
    customer_note: str = ""
    billing: dict[str, Any] = field(default_factory=dict)
    shipping: dict[str, Any] = field(default_factory=dict)
    payment_method: str = ""
    payment_method_title: str = ""
    transaction_id: str = ""
    created_via: str = "rest-api"
    line_items: list[LineItem] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    stock_reduced: bool = False
    recorded_sales: bool = False
    meta_data: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> float:
        return round(sum(item.total for item in self.line_items), 2)

    @property
    def total_refunded(self) -> float:
        return round(sum(refund.amount for refund in self.refunds), 2)


@dataclass
class Webhook:
    id: int
    name: str
    status: str  # active, paused, disabled
    topic: str
    delivery_url: str
    secret: str
    date_created: datetime
    date_modified: datetime
    failure_count: int = 0

    @property
    def resource(self) -> str:
        return self.topic.split(".", 1)[0]

    @property
    def event(self) -> str:
        return self.topic.split(".", 1)[1] if "." in self.topic else ""


# -- snapshots -----------------------------------------------------------------------------------


def to_json(record: Any) -> dict[str, Any]:
    def convert(value: Any) -> Any:
        if isinstance(value, datetime):
            return {"$dt": value.isoformat()}
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    return {k: convert(v) for k, v in asdict(record).items()}


def _revive(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$dt"}:
            return datetime.fromisoformat(value["$dt"])
        return {k: _revive(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_revive(v) for v in value]
    return value


def from_json(cls: type[T], data: dict[str, Any]) -> T:
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    values = {k: _revive(v) for k, v in data.items() if k in names}
    if cls is Order:
        values["line_items"] = [LineItem(**item) for item in values.get("line_items", [])]
        values["refunds"] = [Refund(**refund) for refund in values.get("refunds", [])]
    return cls(**values)
