"""Shopify's REST order JSON (the orders API and the order webhooks carry the same body) as the
hub's `ExternalOrder`. Raises ValueError on a body it cannot read; callers say whether that is a
malformed webhook or a bad API answer."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from channels.adapters.base import ExternalOrder, ExternalOrderLine, OrderStatus


def parse_time(value: Any, field: str) -> datetime:
    """Shopify writes times in the shop's zone with an offset ("2026-11-20T10:00:00-05:00")."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{field} is missing")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{field} is not a time: {value!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def money(value: Any, field: str) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{field} is not an amount: {value!r}") from None


def numeric_id(value: Any, field: str) -> str:
    """Ids arrive as JSON numbers (beyond 2**53 sometimes, which Python keeps exact)."""
    if isinstance(value, bool) or value is None or value == "":
        raise ValueError(f"{field} is missing")
    text = str(value).strip()
    if not text.isdigit():
        raise ValueError(f"{field} is not an id: {value!r}")
    return text


def order_status(body: dict[str, Any]) -> OrderStatus:
    if body.get("cancelled_at"):
        return OrderStatus.CANCELLED
    if body.get("financial_status") == "refunded":
        return OrderStatus.REFUNDED
    if body.get("fulfillment_status") == "fulfilled":
        return OrderStatus.FULFILLED
    return OrderStatus.OPEN


def refunded_quantities(body: dict[str, Any]) -> Counter[str]:
    refunded: Counter[str] = Counter()
    for refund in body.get("refunds") or ():
        if not isinstance(refund, dict):
            raise ValueError("refunds holds something other than refunds")
        for line in refund.get("refund_line_items") or ():
            if not isinstance(line, dict):
                raise ValueError("refund_line_items holds something other than lines")
            refunded[numeric_id(line.get("line_item_id"), "refund line_item_id")] += int(
                line.get("quantity") or 0
            )
    return refunded


def customer_name(body: dict[str, Any]) -> str:
    customer = body.get("customer")
    if isinstance(customer, dict):
        name = " ".join(str(customer.get(k) or "").strip() for k in ("first_name", "last_name")).strip()
        if name:
            return name
    for address in ("billing_address", "shipping_address"):
        value = body.get(address)
        if isinstance(value, dict) and value.get("name"):
            return str(value["name"]).strip()
    return ""


def order_from_json(body: Any, *, barcodes: dict[str, str] | None = None) -> ExternalOrder:
    """The snapshot of one REST order. `barcodes` (variant id -> barcode) fills in what line items
    lack: Shopify's order JSON carries the SKU but not the barcode."""
    if not isinstance(body, dict):
        raise ValueError("the order is not a JSON object")
    order_id = numeric_id(body.get("id"), "order id")
    raw_lines = body.get("line_items")
    if not isinstance(raw_lines, list):
        raise ValueError(f"order {order_id} has no line_items list")
    refunded = refunded_quantities(body)
    lines = []
    for raw in raw_lines:
        if not isinstance(raw, dict):
            raise ValueError(f"order {order_id} has a line item that is not an object")
        line_id = numeric_id(raw.get("id"), "line item id")
        quantity = int(raw.get("quantity") or 0)
        variant_id = raw.get("variant_id")
        variant = str(variant_id) if variant_id not in (None, "") else ""
        lines.append(
            ExternalOrderLine(
                external_id=line_id,
                sku=str(raw.get("sku") or "").strip(),
                barcode=(barcodes or {}).get(variant, ""),
                title=str(raw.get("title") or raw.get("name") or ""),
                quantity=quantity,
                # Never more than was bought, whatever a refund list says.
                refunded_quantity=min(refunded.get(line_id, 0), max(quantity, 0)),
                unit_price=money(raw.get("price"), f"price of line {line_id}"),
                listing_external_id=variant,
            )
        )
    return ExternalOrder(
        external_id=order_id,
        number=str(body.get("name") or body.get("order_number") or order_id),
        status=order_status(body),
        created_at=parse_time(body.get("created_at"), "created_at"),
        updated_at=parse_time(body.get("updated_at") or body.get("created_at"), "updated_at"),
        lines=tuple(lines),
        financial_status=str(body.get("financial_status") or ""),
        currency=str(body.get("currency") or ""),
        total=money(body.get("total_price"), "total_price"),
        customer_name=customer_name(body),
    )
