"""Order lifecycle through the REST Admin API: create, cancel, refund, fulfil.

Stock follows Shopify's states: an order that claims inventory moves units from `available` to
`committed`; fulfilment ships them (committed and on_hand fall); a cancel or a `cancel` refund of
unfulfilled units moves them back to `available`; a `return` refund of shipped units puts them
back on the shelf. Each operation returns the webhook events it causes, in Shopify's order.

Error bodies: out of stock is Shopify's recorded 422 {"errors":{"line_items":["Unable to reserve
inventory"]}}; the other validation messages are this sandbox's best reading of Shopify's style.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from . import inventory, payouts
from .render import fulfillable, money, order_fulfillment_status, refunded_amount, subtotal
from .store import Fulfillment, Level, LineItem, Order, Refund, RefundLine, ShopifyStore, Transaction

BEHAVIOURS = ("bypass", "decrement_ignoring_policy", "decrement_obeying_policy")
RESTOCK_TYPES = ("no_restock", "cancel", "return", "legacy_restock")
CANCEL_REASONS = ("customer", "declined", "fraud", "inventory", "staff", "other")


class OrderError(Exception):
    def __init__(self, status: int, errors: Any) -> None:
        super().__init__(status, errors)
        self.status = status
        self.errors = errors


@dataclass
class Effects:
    """What an operation changed, for webhooks: order topics in order, and touched levels."""

    topics: list[str] = field(default_factory=list)
    levels: list[Level] = field(default_factory=list)
    refund: Refund | None = None
    fulfillment: Fulfillment | None = None

    def touch(self, level: Level) -> None:
        if level not in self.levels:
            self.levels.append(level)


@dataclass
class Fees:
    percent: Decimal
    fixed: Decimal


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise OrderError(422, {name: ["is invalid"]})
    try:
        return int(value)
    except ValueError as exc:
        raise OrderError(422, {name: ["is invalid"]}) from exc


def _claims_stock(order: Order) -> bool:
    return order.inventory_behaviour != "bypass"


def _level_for(store: ShopifyStore, order: Order, line: LineItem) -> Level | None:
    variant = store.variants.get(line.variant_id or 0)
    if variant is None or not store.items[variant.inventory_item_id].tracked:
        return None
    return store.levels.get((variant.inventory_item_id, order.location_id))


def create(store: ShopifyStore, body: Any, *, now: datetime, fees: Fees) -> tuple[Order, Effects]:
    payload = body.get("order") if isinstance(body, dict) else None
    if not isinstance(payload, dict):
        raise OrderError(400, {"order": "Required parameter missing or invalid"})
    requested = payload.get("line_items")
    if not isinstance(requested, list) or not requested:
        raise OrderError(422, {"line_items": ["can't be blank"]})
    behaviour = payload.get("inventory_behaviour", "bypass")
    if behaviour not in BEHAVIOURS:
        raise OrderError(422, {"inventory_behaviour": ["is not included in the list"]})
    financial_status = payload.get("financial_status", "paid")
    if financial_status not in ("paid", "pending", "authorized"):
        raise OrderError(422, {"financial_status": ["is not included in the list"]})
    location_id = store.primary_location_id
    lines: list[LineItem] = []
    wanted: dict[int, int] = {}
    for raw in requested:
        if not isinstance(raw, dict):
            raise OrderError(422, {"line_items": ["is invalid"]})
        quantity = _int(raw.get("quantity", 1), "line_items.quantity")
        if quantity < 1:
            raise OrderError(422, {"line_items": ["quantity must be greater than or equal to 1"]})
        if raw.get("variant_id") is None:
            lines.append(_custom_line(store, raw, quantity))
            continue
        variant = store.variants.get(_int(raw["variant_id"], "line_items.variant_id"))
        if variant is None:
            raise OrderError(422, {"line_items": ["variant is invalid"]})
        product = store.products[variant.product_id]
        price = raw.get("price", variant.price)
        lines.append(
            LineItem(
                id=store.next_id("line_item"),
                variant_id=variant.id,
                product_id=product.id,
                sku=variant.sku,
                title=product.title,
                variant_title=variant.title,
                quantity=quantity,
                price=_money(price),
            )
        )
        wanted[variant.id] = wanted.get(variant.id, 0) + quantity
    if behaviour == "decrement_obeying_policy":
        for variant_id, quantity in wanted.items():
            variant = store.variants[variant_id]
            if not store.items[variant.inventory_item_id].tracked or variant.inventory_policy != "deny":
                continue
            level = store.levels.get((variant.inventory_item_id, location_id))
            if level is None or level.get("available") < quantity:
                raise OrderError(422, {"line_items": ["Unable to reserve inventory"]})
    customer = payload.get("customer")
    if not isinstance(customer, dict):
        customer = {}
    email = str(payload.get("email") or customer.get("email") or "shopper@example.com")
    order_id = store.next_id("order")
    order = Order(
        id=order_id,
        number=1000 + store.counters["order"],
        created_at=now,
        updated_at=now,
        processed_at=now,
        financial_status=financial_status,
        line_items=lines,
        email=email,
        customer_id=_customer_id(store, email),
        customer_first_name=str(customer.get("first_name") or "Sandbox"),
        customer_last_name=str(customer.get("last_name") or "Shopper"),
        location_id=location_id,
        fulfillment_order_id=store.next_id("fulfillment_order"),
        inventory_behaviour=behaviour,
        source_name=str(payload.get("source_name") or "web"),
        note=payload.get("note"),
        tags=str(payload.get("tags") or ""),
    )
    effects = Effects(topics=["orders/create"])
    if _claims_stock(order):
        for line in lines:
            level = _level_for(store, order, line)
            if level is not None:
                inventory.move_available(
                    store, level, available=-line.quantity, committed=line.quantity, now=now
                )
                effects.touch(level)
    if financial_status == "paid":
        sale = Transaction(store.next_id("transaction"), "sale", money(subtotal(order)), now)
        order.transactions.append(sale)
        payouts.record_charge(store, order, sale, percent=fees.percent, fixed=fees.fixed)
        effects.topics.append("orders/paid")
    store.orders[order.id] = order
    store.fulfillment_orders[order.fulfillment_order_id] = order.id
    return order, effects


def _money(value: Any) -> str:
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise OrderError(422, {"line_items": ["price is invalid"]}) from exc
    if amount < 0:
        raise OrderError(422, {"line_items": ["price must be greater than or equal to 0"]})
    return money(amount)


def _custom_line(store: ShopifyStore, raw: dict[str, Any], quantity: int) -> LineItem:
    title = raw.get("title")
    if not title or raw.get("price") is None:
        raise OrderError(422, {"line_items": ["title and price are required for a custom line item"]})
    return LineItem(
        store.next_id("line_item"),
        None,
        None,
        str(raw.get("sku") or ""),
        str(title),
        "",
        quantity,
        _money(raw["price"]),
    )


def _customer_id(store: ShopifyStore, email: str) -> int:
    if email not in store.customers:
        store.customers[email] = store.next_id("customer")
    return store.customers[email]


def cancel(store: ShopifyStore, order: Order, body: Any, *, now: datetime) -> Effects:
    body = body if isinstance(body, dict) else {}
    if order.cancelled_at is not None:
        raise OrderError(422, {"base": ["Order has already been cancelled"]})
    if any(line.fulfilled_quantity for line in order.line_items):
        raise OrderError(422, {"base": ["Cannot cancel an order that has fulfilled line items"]})
    reason = body.get("reason", "other")
    if reason not in CANCEL_REASONS:
        raise OrderError(422, {"reason": ["is not included in the list"]})
    restock = body.get("restock", True) is not False
    effects = Effects(topics=["orders/cancelled", "orders/updated"])
    refund_lines: list[RefundLine] = []
    for line in order.line_items:
        quantity = fulfillable(order, line)
        if quantity == 0:
            continue
        level = _level_for(store, order, line)
        if level is not None and _claims_stock(order):
            back = quantity if restock else 0
            inventory.move_available(store, level, available=back, committed=-quantity, now=now)
            effects.touch(level)
        line.removed_quantity += quantity
        refund_lines.append(
            RefundLine(
                store.next_id("refund_line_item"),
                line.id,
                quantity,
                "cancel" if restock else "no_restock",
                order.location_id,
                money(Decimal(line.price) * quantity),
            )
        )
    owed = refunded_owed(order)
    transactions = []
    if order.financial_status in ("paid", "partially_refunded") and owed > 0:
        transactions.append(_refund_transaction(store, order, owed, now))
        order.financial_status = "refunded"
    elif order.financial_status in ("pending", "authorized"):
        order.financial_status = "voided"
    if refund_lines or transactions:
        refund = Refund(store.next_id("refund"), now, None, restock, refund_lines, transactions)
        order.refunds.append(refund)
        effects.refund = refund
        effects.topics.insert(1, "refunds/create")
    order.cancelled_at = now
    order.cancel_reason = reason
    order.closed_at = now
    order.updated_at = now
    return effects


def refunded_owed(order: Order) -> Decimal:
    paid = sum((Decimal(t.amount) for t in order.transactions if t.kind == "sale"), Decimal(0))
    return paid - refunded_amount(order)


def _refund_transaction(store: ShopifyStore, order: Order, amount: Decimal, now: datetime) -> Transaction:
    sale = next(t for t in order.transactions if t.kind == "sale")
    txn = Transaction(store.next_id("transaction"), "refund", money(amount), now, parent_id=sale.id)
    payouts.record_refund(store, order, txn)
    return txn


def _refund_lines(order: Order, raw_lines: Any) -> list[tuple[LineItem, int, str, dict[str, Any]]]:
    if raw_lines is None:
        return []
    if not isinstance(raw_lines, list):
        raise OrderError(422, {"refund_line_items": ["is invalid"]})
    by_id = {line.id: line for line in order.line_items}
    parsed = []
    for raw in raw_lines:
        if not isinstance(raw, dict) or raw.get("line_item_id") is None:
            raise OrderError(422, {"refund_line_items": ["line_item_id can't be blank"]})
        line = by_id.get(_int(raw["line_item_id"], "refund_line_items.line_item_id"))
        if line is None:
            raise OrderError(422, {"refund_line_items": ["line item is invalid"]})
        quantity = _int(raw.get("quantity", 0), "refund_line_items.quantity")
        restock_type = raw.get("restock_type", "no_restock")
        if restock_type not in RESTOCK_TYPES:
            raise OrderError(422, {"refund_line_items.restock_type": ["is not included in the list"]})
        if quantity < 1 or quantity > line.quantity - line.removed_quantity:
            raise OrderError(
                422, {"refund_line_items.quantity": ["cannot refund more items than were purchased"]}
            )
        if restock_type == "cancel" and quantity > fulfillable(order, line):
            raise OrderError(
                422, {"refund_line_items.restock_type": ["cancel can only apply to unfulfilled items"]}
            )
        parsed.append((line, quantity, restock_type, raw))
    return parsed


def calculate_refund(store: ShopifyStore, order: Order, body: Any) -> dict[str, Any]:
    payload = body.get("refund") if isinstance(body, dict) else None
    payload = payload if isinstance(payload, dict) else {}
    lines = _refund_lines(order, payload.get("refund_line_items"))
    amount = sum((Decimal(line.price) * quantity for line, quantity, _, _ in lines), Decimal(0))
    amount = min(amount, refunded_owed(order))
    sale = next((t for t in order.transactions if t.kind == "sale"), None)
    return {
        "refund_line_items": [
            {
                "line_item_id": line.id,
                "quantity": quantity,
                "restock_type": restock_type,
                "location_id": order.location_id if restock_type != "no_restock" else None,
                "price": money(line.price),
                "subtotal": money(Decimal(line.price) * quantity),
                "total_tax": "0.00",
                "discounted_price": money(line.price),
                "discounted_total_price": money(Decimal(line.price) * quantity),
            }
            for line, quantity, restock_type, _ in lines
        ],
        "transactions": [
            {
                "order_id": order.id,
                "kind": "suggested_refund",
                "gateway": "shopify_payments",
                "parent_id": sale.id,
                "amount": money(amount),
                "currency": "USD",
                "maximum_refundable": money(refunded_owed(order)),
            }
        ]
        if sale is not None and amount > 0
        else [],
        "currency": "USD",
        "shipping": {"amount": "0.00", "tax": "0.00", "maximum_refundable": "0.00"},
    }


def refund(store: ShopifyStore, order: Order, body: Any, *, now: datetime) -> Effects:
    payload = body.get("refund") if isinstance(body, dict) else None
    if not isinstance(payload, dict):
        raise OrderError(400, {"refund": "Required parameter missing or invalid"})
    lines = _refund_lines(order, payload.get("refund_line_items"))
    money_back = _refund_amount(order, payload.get("transactions"))
    if not lines and money_back == 0:
        raise OrderError(422, {"base": ["Refund must have at least one refund line item or transaction"]})
    effects = Effects(topics=["refunds/create", "orders/updated"])
    refund_lines = []
    restocked = False
    for line, quantity, restock_type, _ in lines:
        from_unfulfilled = min(quantity, fulfillable(order, line))
        from_shipped = quantity - from_unfulfilled
        level = _level_for(store, order, line)
        restock = restock_type in ("cancel", "return", "legacy_restock")
        if level is not None:
            if from_unfulfilled and _claims_stock(order):
                back = from_unfulfilled if restock else 0
                inventory.move_available(store, level, available=back, committed=-from_unfulfilled, now=now)
                effects.touch(level)
            if from_shipped and restock:
                inventory.move_available(store, level, available=from_shipped, committed=0, now=now)
                effects.touch(level)
        restocked = restocked or restock
        line.removed_quantity += from_unfulfilled
        refund_lines.append(
            RefundLine(
                store.next_id("refund_line_item"),
                line.id,
                quantity,
                restock_type,
                order.location_id if restock else None,
                money(Decimal(line.price) * quantity),
            )
        )
    transactions = [_refund_transaction(store, order, money_back, now)] if money_back > 0 else []
    created = Refund(store.next_id("refund"), now, payload.get("note"), restocked, refund_lines, transactions)
    order.refunds.append(created)
    if transactions:
        # Judged with this refund counted: refunding all that was paid makes the order "refunded".
        order.financial_status = "refunded" if refunded_owed(order) <= 0 else "partially_refunded"
    order.updated_at = now
    effects.refund = created
    return effects


def _refund_amount(order: Order, raw: Any) -> Decimal:
    if raw is None:
        return Decimal(0)
    if not isinstance(raw, list):
        raise OrderError(422, {"transactions": ["is invalid"]})
    total = Decimal(0)
    sale_ids = {t.id for t in order.transactions if t.kind == "sale"}
    for txn in raw:
        if not isinstance(txn, dict) or txn.get("kind", "refund") != "refund":
            raise OrderError(422, {"transactions": ["kind must be refund"]})
        if (
            txn.get("parent_id") is not None
            and _int(txn["parent_id"], "transactions.parent_id") not in sale_ids
        ):
            raise OrderError(422, {"transactions": ["parent transaction is invalid"]})
        try:
            total += Decimal(str(txn.get("amount")))
        except InvalidOperation as exc:
            raise OrderError(422, {"transactions": ["amount is invalid"]}) from exc
    if total < 0 or total > refunded_owed(order):
        raise OrderError(422, {"transactions": ["Amount cannot be greater than the refundable amount"]})
    return total


def fulfil(
    store: ShopifyStore, order: Order, requested: dict[int, int | None], *, now: datetime, tracking: Any
) -> Effects:
    """Ship `requested` {line item id: quantity or None for all that is left}; empty means all."""
    if order.cancelled_at is not None:
        raise OrderError(422, {"base": ["Order has been cancelled"]})
    by_id = {line.id: line for line in order.line_items}
    wanted = requested or dict.fromkeys(by_id)
    shipped: dict[int, int] = {}
    for line_id, quantity in wanted.items():
        line = by_id.get(line_id)
        if line is None:
            raise OrderError(422, {"fulfillment_order_line_items": ["id is invalid"]})
        left = fulfillable(order, line)
        amount = left if quantity is None else quantity
        if amount > left or amount < 0:
            raise OrderError(422, {"base": ["Invalid fulfillment order line item quantity requested."]})
        if amount:
            shipped[line_id] = amount
    if not shipped:
        raise OrderError(422, {"base": ["Fulfillment order has no line items that can be fulfilled"]})
    effects = Effects()
    for line_id, amount in shipped.items():
        line = by_id[line_id]
        line.fulfilled_quantity += amount
        level = _level_for(store, order, line)
        if level is not None and _claims_stock(order):
            inventory.move_available(store, level, available=0, committed=-amount, now=now)
    number = tracking.get("number") if isinstance(tracking, dict) else None
    fulfillment = Fulfillment(store.next_id("fulfillment"), now, order.location_id, shipped, number)
    order.fulfillments.append(fulfillment)
    order.updated_at = now
    effects.fulfillment = fulfillment
    status = order_fulfillment_status(order)
    effects.topics = [
        "fulfillments/create",
        "orders/fulfilled" if status == "fulfilled" else "orders/partially_fulfilled",
        "orders/updated",
    ]
    return effects
