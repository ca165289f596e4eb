"""The Shopify sandbox's state: locations, the catalogue, inventory levels, orders, payouts and
webhook subscriptions, all in memory and indexed by id.

Ids look like Shopify's (13-14 digit integers) and every kind has its own counter, so a reseeded
shop always has the same ids. Callers hold the platform lock while they read or write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from channels.sandbox.catalogue import shopify_products

from . import codec

# Named inventory states; on_hand is the sum of the states that physically sit on the shelf.
QUANTITY_NAMES = (
    "available",
    "committed",
    "damaged",
    "incoming",
    "on_hand",
    "quality_control",
    "reserved",
    "safety_stock",
)
ON_HAND_PARTS = ("available", "committed", "damaged", "quality_control", "reserved", "safety_stock")

_ID_BASES = {
    "location": 71_000_000_000,
    "product": 8_100_000_000_000,
    "variant": 44_100_000_000_000,
    "inventory_item": 46_100_000_000_000,
    "order": 5_600_000_000_000,
    "line_item": 13_800_000_000_000,
    "refund": 910_000_000_000,
    "refund_line_item": 520_000_000_000,
    "transaction": 6_700_000_000_000,
    "fulfillment": 4_800_000_000_000,
    "fulfillment_order": 6_300_000_000_000,
    "customer": 7_300_000_000_000,
    "adjustment_group": 53_000_000_000_000,
    "webhook": 1_700_000_000_000,
    "payout": 88_000_000,
    "balance_transaction": 900_000_000,
}


@dataclass
class Location:
    id: int
    name: str
    active: bool
    created_at: datetime
    updated_at: datetime


@dataclass
class Product:
    id: int
    title: str
    handle: str
    status: str
    vendor: str
    product_type: str
    created_at: datetime
    updated_at: datetime
    variant_ids: list[int] = field(default_factory=list)


@dataclass
class Variant:
    id: int
    product_id: int
    title: str
    sku: str
    barcode: str
    price: str
    inventory_policy: str  # "deny" or "continue"
    inventory_item_id: int
    position: int
    created_at: datetime
    updated_at: datetime


@dataclass
class InventoryItem:
    id: int
    variant_id: int
    tracked: bool
    created_at: datetime
    updated_at: datetime


@dataclass
class Level:
    item_id: int
    location_id: int
    quantities: dict[str, int]
    created_at: datetime
    updated_at: datetime

    def get(self, name: str) -> int:
        if name == "on_hand":
            return sum(self.quantities.get(part, 0) for part in ON_HAND_PARTS)
        return self.quantities.get(name, 0)


@dataclass
class Change:
    name: str
    delta: int
    item_id: int
    location_id: int
    ledger_document_uri: str | None = None


@dataclass
class AdjustmentGroup:
    id: int
    created_at: datetime
    reason: str
    reference_document_uri: str | None
    changes: list[Change]


@dataclass
class IdempotencyRecord:
    """What a keyed mutation answered the first time, replayed for a repeated key."""

    fingerprint: str
    group_id: int | None
    user_errors: list[dict[str, Any]]


@dataclass
class LineItem:
    id: int
    variant_id: int | None
    product_id: int | None
    sku: str
    title: str
    variant_title: str
    quantity: int
    price: str
    fulfilled_quantity: int = 0
    removed_quantity: int = 0  # refunded or cancelled before fulfilment


@dataclass
class Transaction:
    id: int
    kind: str  # sale, refund
    amount: str
    created_at: datetime
    parent_id: int | None = None


@dataclass
class RefundLine:
    id: int
    line_item_id: int
    quantity: int
    restock_type: str  # return, cancel, no_restock
    location_id: int | None
    subtotal: str


@dataclass
class Refund:
    id: int
    created_at: datetime
    note: str | None
    restock: bool
    lines: list[RefundLine]
    transactions: list[Transaction]


@dataclass
class Fulfillment:
    id: int
    created_at: datetime
    location_id: int
    line_items: dict[int, int]  # line item id -> quantity
    tracking_number: str | None = None


@dataclass
class Order:
    id: int
    number: int
    created_at: datetime
    updated_at: datetime
    processed_at: datetime
    financial_status: str
    line_items: list[LineItem]
    email: str
    customer_id: int
    customer_first_name: str
    customer_last_name: str
    location_id: int
    fulfillment_order_id: int
    inventory_behaviour: str
    source_name: str = "web"
    note: str | None = None
    tags: str = ""
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    closed_at: datetime | None = None
    transactions: list[Transaction] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    fulfillments: list[Fulfillment] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"#{self.number}"


@dataclass
class BalanceTransaction:
    id: int
    type: str  # charge, refund, adjustment, payout
    amount: str
    fee: str
    net: str
    source_id: int
    source_type: str
    source_order_id: int | None
    source_order_transaction_id: int | None
    processed_at: datetime
    payout_id: int | None = None


@dataclass
class Payout:
    id: int
    business_day: str  # the day whose takings it carries, ISO date in the shop's timezone
    date: str  # the day it is paid, ISO date
    status: str
    amount: str
    summary: dict[str, str]


@dataclass
class Subscription:
    id: int
    topic: str  # REST form, e.g. "orders/create"
    uri: str
    format: str
    api_version: str
    created_at: datetime
    updated_at: datetime
    include_fields: list[str] = field(default_factory=list)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class ShopifyStore:
    """Everything the shop holds. Plain attributes so the resolvers and REST code read them directly."""

    def __init__(self) -> None:
        self.counters: dict[str, int] = {}
        self.locations: dict[int, Location] = {}
        self.primary_location_id = 0
        self.products: dict[int, Product] = {}
        self.variants: dict[int, Variant] = {}
        self.items: dict[int, InventoryItem] = {}
        self.levels: dict[tuple[int, int], Level] = {}
        self.groups: dict[int, AdjustmentGroup] = {}
        self.idempotency: dict[str, IdempotencyRecord] = {}
        self.orders: dict[int, Order] = {}
        self.balance: dict[int, BalanceTransaction] = {}
        self.payouts: dict[int, Payout] = {}
        self.closed_days: list[str] = []
        self.subscriptions: dict[int, Subscription] = {}
        self.sku_index: dict[str, list[int]] = {}
        self.customers: dict[str, int] = {}  # email -> customer id
        self.fulfillment_orders: dict[int, int] = {}  # fulfillment order id -> order id

    def index_skus(self) -> None:
        self.sku_index = {}
        for variant in sorted(self.variants.values(), key=lambda v: v.id):
            self.sku_index.setdefault(variant.sku.casefold(), []).append(variant.id)

    def next_id(self, kind: str) -> int:
        value = self.counters.get(kind, 0) + 1
        self.counters[kind] = value
        return _ID_BASES[kind] + value

    # -- seeding -------------------------------------------------------------------------------

    def seed(self, now: datetime) -> None:
        self.__init__()  # type: ignore[misc]
        opened = now - timedelta(days=400)
        main = Location(self.next_id("location"), "Main warehouse", True, opened, opened)
        spare = Location(self.next_id("location"), "Overflow storage", True, opened, opened)
        self.locations = {main.id: main, spare.id: spare}
        self.primary_location_id = main.id
        listed = now - timedelta(days=90)
        for position, listing in enumerate(shopify_products()):
            product = Product(
                id=self.next_id("product"),
                title=listing.title,
                handle=slugify(listing.title),
                status="ACTIVE",
                vendor="Sandbox Home Goods",
                product_type="Storage" if listing.tracked else "Service",
                created_at=listed,
                updated_at=listed + timedelta(minutes=position),
            )
            item_id = self.next_id("inventory_item")
            variant = Variant(
                id=self.next_id("variant"),
                product_id=product.id,
                title="Default Title",
                sku=listing.sku,
                barcode=listing.barcode,
                price=f"{listing.price:.2f}",
                inventory_policy="deny",
                inventory_item_id=item_id,
                position=1,
                created_at=listed,
                updated_at=listed + timedelta(minutes=position),
            )
            product.variant_ids.append(variant.id)
            self.products[product.id] = product
            self.variants[variant.id] = variant
            self.items[item_id] = InventoryItem(
                item_id, variant.id, listing.tracked, listed, variant.updated_at
            )
            # Stock lives at the main warehouse only; the overflow location stocks nothing yet.
            quantities = dict.fromkeys((q for q in QUANTITY_NAMES if q != "on_hand"), 0)
            level = Level(item_id, main.id, quantities, listed, variant.updated_at)
            level.quantities["available"] = listing.qty
            self.levels[(item_id, main.id)] = level
        self.index_skus()

    def add_product(
        self,
        *,
        title: str,
        variants: list[dict[str, Any]],
        now: datetime,
        status: str = "ACTIVE",
    ) -> Product:
        """A product with its variants, each with an inventory item stocked at the primary location
        (what productCreate plus productVariantsBulkCreate leave behind). Variant dicts carry sku,
        barcode, price, available, tracked and title, all optional."""
        product = Product(
            id=self.next_id("product"),
            title=title,
            handle=slugify(title),
            status=status,
            vendor="Sandbox Home Goods",
            product_type="Storage",
            created_at=now,
            updated_at=now,
        )
        self.products[product.id] = product
        for position, spec in enumerate(variants, start=1):
            item_id = self.next_id("inventory_item")
            variant = Variant(
                id=self.next_id("variant"),
                product_id=product.id,
                title=str(spec.get("title") or ("Default Title" if len(variants) == 1 else f"#{position}")),
                sku=str(spec.get("sku") or ""),
                barcode=str(spec.get("barcode") or ""),
                price=f"{float(spec.get('price', 0)):.2f}",
                inventory_policy="deny",
                inventory_item_id=item_id,
                position=position,
                created_at=now,
                updated_at=now,
            )
            product.variant_ids.append(variant.id)
            self.variants[variant.id] = variant
            self.items[item_id] = InventoryItem(
                item_id, variant.id, bool(spec.get("tracked", True)), now, now
            )
            quantities = dict.fromkeys((q for q in QUANTITY_NAMES if q != "on_hand"), 0)
            quantities["available"] = int(spec.get("available", 0))
            self.levels[(item_id, self.primary_location_id)] = Level(
                item_id, self.primary_location_id, quantities, now, now
            )
            self.sku_index.setdefault(variant.sku.casefold(), []).append(variant.id)
        return product

    # -- lookups -------------------------------------------------------------------------------

    def variant_by_sku(self, sku: str) -> Variant | None:
        matches = [self.variants[i] for i in self.sku_index.get(sku.strip().casefold(), ())]
        return next((v for v in matches if v.sku == sku), matches[0] if matches else None)

    def variants_with_sku(self, wanted: set[str] | None) -> list[Variant]:
        """Variants whose SKU folds to one of `wanted`; every variant when `wanted` is None."""
        if wanted is None:
            return list(self.variants.values())
        return [self.variants[i] for sku in wanted for i in self.sku_index.get(sku, ())]

    def levels_of_item(self, item_id: int) -> list[Level]:
        return [
            self.levels[(item_id, loc)] for loc in sorted(self.locations) if (item_id, loc) in self.levels
        ]

    def levels_at(self, location_id: int) -> list[Level]:
        return [lvl for (item, loc), lvl in sorted(self.levels.items()) if loc == location_id]

    def available_total(self, item_id: int) -> int:
        return sum(level.get("available") for level in self.levels_of_item(item_id))

    def touch_item(self, item_id: int, now: datetime) -> None:
        """A stock change also moves the variant's and item's updatedAt, so catch-up queries see it."""
        item = self.items[item_id]
        item.updated_at = now
        self.variants[item.variant_id].updated_at = now

    # -- snapshots -----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "counters": self.counters,
            "locations": codec.dump(list(self.locations.values())),
            "primary_location_id": self.primary_location_id,
            "products": codec.dump(list(self.products.values())),
            "variants": codec.dump(list(self.variants.values())),
            "items": codec.dump(list(self.items.values())),
            "levels": codec.dump(list(self.levels.values())),
            "groups": codec.dump(list(self.groups.values())),
            "idempotency": codec.dump(self.idempotency),
            "orders": codec.dump(list(self.orders.values())),
            "balance": codec.dump(list(self.balance.values())),
            "payouts": codec.dump(list(self.payouts.values())),
            "closed_days": list(self.closed_days),
            "subscriptions": codec.dump(list(self.subscriptions.values())),
        }

    def load_dict(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]
        self.counters = dict(state["counters"])
        self.primary_location_id = int(state["primary_location_id"])
        self.locations = {x.id: x for x in codec.load(list[Location], state["locations"])}
        self.products = {x.id: x for x in codec.load(list[Product], state["products"])}
        self.variants = {x.id: x for x in codec.load(list[Variant], state["variants"])}
        self.items = {x.id: x for x in codec.load(list[InventoryItem], state["items"])}
        self.levels = {(x.item_id, x.location_id): x for x in codec.load(list[Level], state["levels"])}
        self.groups = {x.id: x for x in codec.load(list[AdjustmentGroup], state["groups"])}
        self.idempotency = codec.load(dict[str, IdempotencyRecord], state["idempotency"])
        self.orders = {x.id: x for x in codec.load(list[Order], state["orders"])}
        self.balance = {x.id: x for x in codec.load(list[BalanceTransaction], state["balance"])}
        self.payouts = {x.id: x for x in codec.load(list[Payout], state["payouts"])}
        self.closed_days = list(state["closed_days"])
        self.subscriptions = {x.id: x for x in codec.load(list[Subscription], state["subscriptions"])}
        self.index_skus()
        for order in self.orders.values():
            self.customers.setdefault(order.email, order.customer_id)
            self.fulfillment_orders[order.fulfillment_order_id] = order.id
