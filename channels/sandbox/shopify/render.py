"""REST JSON of orders, refunds, fulfilments and inventory levels, as the Admin API (and the
webhooks, which carry the same bodies) shows them. Times are in the shop's timezone with an
offset, money is a two-decimal string, as Shopify writes them."""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from . import ids
from .store import Fulfillment, Level, LineItem, Order, Refund, ShopifyStore, Transaction

CURRENCY = "USD"
GATEWAY = "shopify_payments"


def money(value: Decimal | str | int) -> str:
    return str(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def shop_time(when: datetime | None, tz: tzinfo) -> str | None:
    if when is None:
        return None
    return when.astimezone(tz).replace(microsecond=0).isoformat()


def current_quantity(line: LineItem) -> int:
    return line.quantity - line.removed_quantity


def fulfillable(order: Order, line: LineItem) -> int:
    if order.cancelled_at is not None:
        return 0
    return max(0, current_quantity(line) - line.fulfilled_quantity)


def subtotal(order: Order) -> Decimal:
    return sum((Decimal(line.price) * line.quantity for line in order.line_items), Decimal(0))


def refunded_amount(order: Order) -> Decimal:
    return sum(
        (Decimal(t.amount) for refund in order.refunds for t in refund.transactions if t.kind == "refund"),
        Decimal(0),
    )


def line_fulfillment_status(line: LineItem) -> str | None:
    if line.fulfilled_quantity == 0:
        return None
    return "fulfilled" if line.fulfilled_quantity >= current_quantity(line) else "partial"


def order_fulfillment_status(order: Order) -> str | None:
    fulfilled = sum(line.fulfilled_quantity for line in order.line_items)
    if fulfilled == 0:
        return None
    remaining = sum(max(0, current_quantity(line) - line.fulfilled_quantity) for line in order.line_items)
    return "fulfilled" if remaining == 0 else "partial"


def line_json(store: ShopifyStore, order: Order, line: LineItem) -> dict[str, Any]:
    variant = store.variants.get(line.variant_id or 0)
    product = store.products.get(line.product_id or 0)
    return {
        "id": line.id,
        "admin_graphql_api_id": ids.gid("LineItem", line.id),
        "variant_id": line.variant_id,
        "product_id": line.product_id,
        "sku": line.sku,
        "title": line.title,
        "variant_title": line.variant_title,
        "name": line.title
        if line.variant_title in ("", "Default Title")
        else f"{line.title} - {line.variant_title}",
        "vendor": product.vendor if product else None,
        "quantity": line.quantity,
        "current_quantity": current_quantity(line),
        "fulfillable_quantity": fulfillable(order, line),
        "fulfillment_status": line_fulfillment_status(line),
        "fulfillment_service": "manual",
        "price": money(line.price),
        "total_discount": "0.00",
        "grams": 0,
        "requires_shipping": True,
        "taxable": True,
        "gift_card": False,
        "product_exists": product is not None,
        "variant_inventory_management": "shopify" if variant else None,
        "tax_lines": [],
        "discount_allocations": [],
        "properties": [],
    }


def transaction_json(order: Order, txn: Transaction, tz: tzinfo) -> dict[str, Any]:
    return {
        "id": txn.id,
        "admin_graphql_api_id": ids.gid("OrderTransaction", txn.id),
        "order_id": order.id,
        "kind": txn.kind,
        "status": "success",
        "amount": money(txn.amount),
        "currency": CURRENCY,
        "gateway": GATEWAY,
        "source_name": "web",
        "parent_id": txn.parent_id,
        "test": False,
        "created_at": shop_time(txn.created_at, tz),
        "processed_at": shop_time(txn.created_at, tz),
    }


def refund_json(store: ShopifyStore, order: Order, refund: Refund, tz: tzinfo) -> dict[str, Any]:
    lines_by_id = {line.id: line for line in order.line_items}
    return {
        "id": refund.id,
        "admin_graphql_api_id": ids.gid("Refund", refund.id),
        "order_id": order.id,
        "created_at": shop_time(refund.created_at, tz),
        "processed_at": shop_time(refund.created_at, tz),
        "note": refund.note,
        "restock": refund.restock,
        "user_id": None,
        "refund_line_items": [
            {
                "id": rl.id,
                "line_item_id": rl.line_item_id,
                "quantity": rl.quantity,
                "restock_type": rl.restock_type,
                "location_id": rl.location_id,
                "subtotal": money(rl.subtotal),
                "total_tax": "0.00",
                "line_item": line_json(store, order, lines_by_id[rl.line_item_id]),
            }
            for rl in refund.lines
        ],
        "transactions": [transaction_json(order, t, tz) for t in refund.transactions],
        "order_adjustments": [],
    }


def fulfillment_json(
    order: Order, fulfillment: Fulfillment, store: ShopifyStore, tz: tzinfo
) -> dict[str, Any]:
    lines_by_id = {line.id: line for line in order.line_items}
    lines = []
    for line_id, quantity in fulfillment.line_items.items():
        data = line_json(store, order, lines_by_id[line_id])
        data["quantity"] = quantity
        lines.append(data)
    return {
        "id": fulfillment.id,
        "admin_graphql_api_id": ids.gid("Fulfillment", fulfillment.id),
        "order_id": order.id,
        "location_id": fulfillment.location_id,
        "name": f"{order.name}.{order.fulfillments.index(fulfillment) + 1}",
        "status": "success",
        "service": "manual",
        "shipment_status": None,
        "tracking_company": None,
        "tracking_number": fulfillment.tracking_number,
        "tracking_numbers": [fulfillment.tracking_number] if fulfillment.tracking_number else [],
        "created_at": shop_time(fulfillment.created_at, tz),
        "updated_at": shop_time(fulfillment.created_at, tz),
        "line_items": lines,
    }


def fulfillment_order_json(order: Order, store: ShopifyStore) -> dict[str, Any]:
    lines = []
    for line in order.line_items:
        variant = store.variants.get(line.variant_id or 0)
        lines.append(
            {
                # One fulfillment order per order, so its line items reuse the order's line ids.
                "id": line.id,
                "shop_id": 1,
                "fulfillment_order_id": order.fulfillment_order_id,
                "line_item_id": line.id,
                "inventory_item_id": variant.inventory_item_id if variant else None,
                "variant_id": line.variant_id,
                "quantity": current_quantity(line),
                "fulfillable_quantity": fulfillable(order, line),
            }
        )
    remaining = sum(fulfillable(order, line) for line in order.line_items)
    if order.cancelled_at is not None:
        status = "cancelled"
    elif remaining == 0:
        status = "closed"
    else:
        status = "in_progress" if order.fulfillments else "open"
    return {
        "id": order.fulfillment_order_id,
        "shop_id": 1,
        "order_id": order.id,
        "assigned_location_id": order.location_id,
        "request_status": "unsubmitted",
        "status": status,
        "supported_actions": ["create_fulfillment"] if status in ("open", "in_progress") else [],
        "line_items": lines,
    }


def order_json(store: ShopifyStore, order: Order, tz: tzinfo) -> dict[str, Any]:
    gross = subtotal(order)
    current = sum((Decimal(line.price) * current_quantity(line) for line in order.line_items), Decimal(0))
    return {
        "id": order.id,
        "admin_graphql_api_id": ids.gid("Order", order.id),
        "name": order.name,
        "order_number": order.number,
        "number": order.number - 1000,
        "email": order.email,
        "contact_email": order.email,
        "created_at": shop_time(order.created_at, tz),
        "updated_at": shop_time(order.updated_at, tz),
        "processed_at": shop_time(order.processed_at, tz),
        "cancelled_at": shop_time(order.cancelled_at, tz),
        "cancel_reason": order.cancel_reason,
        "closed_at": shop_time(order.closed_at, tz),
        "financial_status": order.financial_status,
        "fulfillment_status": order_fulfillment_status(order),
        "confirmed": True,
        "currency": CURRENCY,
        "presentment_currency": CURRENCY,
        "subtotal_price": money(gross),
        "total_line_items_price": money(gross),
        "total_price": money(gross),
        "total_tax": "0.00",
        "total_discounts": "0.00",
        "current_subtotal_price": money(current),
        "current_total_price": money(current),
        "current_total_tax": "0.00",
        "total_outstanding": "0.00" if order.financial_status != "pending" else money(gross),
        "taxes_included": False,
        "source_name": order.source_name,
        "tags": order.tags,
        "note": order.note,
        "location_id": order.location_id,
        "payment_gateway_names": [GATEWAY] if order.transactions else [],
        "test": False,
        "customer": {
            "id": order.customer_id,
            "admin_graphql_api_id": ids.gid("Customer", order.customer_id),
            "email": order.email,
            "first_name": order.customer_first_name,
            "last_name": order.customer_last_name,
        },
        "line_items": [line_json(store, order, line) for line in order.line_items],
        "fulfillments": [fulfillment_json(order, f, store, tz) for f in order.fulfillments],
        "refunds": [refund_json(store, order, r, tz) for r in order.refunds],
        "shipping_lines": [],
        "tax_lines": [],
        "discount_codes": [],
        "note_attributes": [],
    }


def level_json(level: Level, tz: tzinfo) -> dict[str, Any]:
    """The REST InventoryLevel, which is also the inventory_levels/update webhook body."""
    return {
        "inventory_item_id": level.item_id,
        "location_id": level.location_id,
        "available": level.get("available"),
        "updated_at": shop_time(level.updated_at, tz),
        "admin_graphql_api_id": ids.level_gid(level.location_id, level.item_id),
    }
