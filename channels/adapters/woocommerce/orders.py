"""WooCommerce order JSON (REST v3, also what order.* webhooks carry) -> ExternalOrder.

Times: WooCommerce sends each date twice, in the site's timezone and as `*_gmt`, both without an
offset; only the `_gmt` ones are usable without knowing the site's timezone.

The mapping is lenient about line fields on purpose: a line this module cannot read (a plugin's
fractional quantity, say) becomes a line the hub's own validation rejects with a clear message,
so one odd order is shown to the merchant instead of stopping every catch-up behind it.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from channels.adapters.base import ExternalOrder, ExternalOrderLine, OrderStatus

logger = logging.getLogger(__name__)

STATUSES = {
    "pending": OrderStatus.OPEN,
    "on-hold": OrderStatus.OPEN,
    "processing": OrderStatus.OPEN,
    "completed": OrderStatus.FULFILLED,
    "cancelled": OrderStatus.CANCELLED,
    "failed": OrderStatus.CANCELLED,
    "trash": OrderStatus.CANCELLED,
    "refunded": OrderStatus.REFUNDED,
}


def parse_gmt(value: Any, field: str) -> datetime:
    """A WooCommerce date as an aware UTC datetime ("2017-03-22T19:28:08", no offset = GMT)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{field} is missing")
    when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def order_time(body: dict[str, Any], name: str) -> datetime:
    """`<name>_gmt`, else the local `<name>` read as UTC (old shops that lack the _gmt field)."""
    value = body.get(f"{name}_gmt") or body.get(name)
    return parse_gmt(value, f"{name}_gmt")


def money(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def whole(value: Any) -> int:
    """An integer field; anything that is not a whole number reads as 0 (the hub rejects it)."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return 0
    return int(number) if number == number.to_integral_value() else 0


def order_id(value: Any) -> str:
    number = whole(value)
    if number <= 0:
        raise ValueError(f"not an order id: {value!r}")
    return str(number)


def listing_id(product_id: Any, variation_id: Any) -> str:
    product, variation = whole(product_id), whole(variation_id)
    if variation > 0 and product > 0:
        return f"{product}:{variation}"
    return str(product) if product > 0 else ""


def refunded_quantities(refunds: Iterable[Any]) -> dict[str, int]:
    """Units refunded per order line id, from GET orders/<id>/refunds: refund lines carry negative
    quantities and name the order line they refund in the `_refunded_item_id` meta."""
    refunded: dict[str, int] = {}
    for refund in refunds:
        if not isinstance(refund, dict):
            continue
        for line in refund.get("line_items") or ():
            if not isinstance(line, dict):
                continue
            item = next(
                (
                    str(meta.get("value"))
                    for meta in line.get("meta_data") or ()
                    if isinstance(meta, dict) and meta.get("key") == "_refunded_item_id"
                ),
                "",
            )
            if item:
                refunded[item] = refunded.get(item, 0) + abs(whole(line.get("quantity")))
    return refunded


def _customer_name(body: dict[str, Any]) -> str:
    for address in (body.get("billing"), body.get("shipping")):
        if isinstance(address, dict):
            name = " ".join(str(address.get(k) or "").strip() for k in ("first_name", "last_name")).strip()
            if name or address.get("company"):
                return name or str(address["company"]).strip()
    return ""


def _financial_status(body: dict[str, Any], status: str) -> str:
    if status == "refunded":
        return "refunded"
    if body.get("refunds"):
        return "partially_refunded"
    return "paid" if body.get("date_paid_gmt") or body.get("date_paid") else "pending"


def order_status(status: str) -> OrderStatus:
    known = STATUSES.get(status)
    if known is None:
        # Plugins add statuses (shipped, partially-shipped, ...); none of them gives stock back,
        # so the order keeps its reservations until a known status says otherwise.
        logger.warning("unknown WooCommerce order status %r read as open", status, extra={"status": status})
        return OrderStatus.OPEN
    return known


def order_from_json(body: dict[str, Any], refunds: Iterable[Any] = ()) -> ExternalOrder:
    """One order; `refunds` is its GET orders/<id>/refunds list when it has refunds."""
    external_id = order_id(body.get("id"))
    status = str(body.get("status") or "")
    refunded = refunded_quantities(refunds)
    lines = []
    for line in body.get("line_items") or ():
        if not isinstance(line, dict):
            continue
        line_id = str(whole(line.get("id")) or "")
        quantity = whole(line.get("quantity"))
        lines.append(
            ExternalOrderLine(
                external_id=line_id,
                sku=str(line.get("sku") or ""),
                barcode=str(line.get("global_unique_id") or ""),
                title=html.unescape(str(line.get("name") or "")),
                quantity=quantity,
                refunded_quantity=min(refunded.get(line_id, 0), max(quantity, 0)),
                unit_price=money(line.get("price")),
                listing_external_id=listing_id(line.get("product_id"), line.get("variation_id")),
            )
        )
    created = order_time(body, "date_created")
    modified_value = body.get("date_modified_gmt") or body.get("date_modified")
    updated = parse_gmt(modified_value, "date_modified_gmt") if modified_value else created
    return ExternalOrder(
        external_id=external_id,
        number=str(body.get("number") or external_id),
        status=order_status(status),
        created_at=created,
        updated_at=updated,
        lines=tuple(lines),
        financial_status=_financial_status(body, status),
        currency=str(body.get("currency") or ""),
        total=money(body.get("total")),
        customer_name=_customer_name(body),
    )
