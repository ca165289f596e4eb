"""Orders in: applying a channel's order snapshot, idempotently, whatever order snapshots come in.

A snapshot is the whole order as the channel sees it now (webhook body, fetched order or catch-up
page). Applying it twice changes nothing; applying an older one after a newer one changes
nothing; an update that arrives before its create simply creates the order. Per line: a new line
with a matched code reserves at once, an unmatched one waits in the staging area; refunds shrink
reservations; a cancellation releases them. The whole snapshot is applied in one transaction
under a lock on the order row, or not at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from channels.adapters.base import ExternalOrder, ExternalOrderLine
from channels.adapters.base import OrderStatus as ChannelStatus
from channels.models import Connection, ProductCodeType
from channels.push import note_channel_changes
from inventory_sync.models import LineState, Order, OrderLine, OrderStatus, normalize_code
from inventory_sync.services import stock
from mapping.services import resolve_codes

logger = logging.getLogger(__name__)

# ISO 4217 active codes: an order in anything else is bad input, not a guess.
CURRENCIES = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
    BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP
    GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD
    KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK
    NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS
    SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST
    XAF XCD XCG XOF XPF YER ZAR ZMW ZWG""".split()
)

_STATUS = {
    ChannelStatus.OPEN: OrderStatus.OPEN,
    ChannelStatus.FULFILLED: OrderStatus.FULFILLED,
    ChannelStatus.CANCELLED: OrderStatus.CANCELLED,
    ChannelStatus.REFUNDED: OrderStatus.REFUNDED,
}
_CLOSED = {OrderStatus.CANCELLED, OrderStatus.REFUNDED}


class OrderRejected(Exception):
    """The snapshot is not a valid order (no SKU, bad quantity, unknown currency); nothing was
    written. The message says what to fix."""


@dataclass(frozen=True)
class OrderApplied:
    order_id: int | None
    created: bool = False
    stale: bool = False
    lines_live: int = 0
    lines_staged: int = 0
    lines_released: int = 0


def product_code(connection: Connection, line: ExternalOrderLine) -> str:
    return line.barcode if connection.product_code_type == ProductCodeType.BARCODE else line.sku


def validate_snapshot(*, connection: Connection, snapshot: ExternalOrder) -> None:
    where = f"order {snapshot.number or snapshot.external_id}"
    if not snapshot.external_id:
        raise OrderRejected("the order has no id")
    if snapshot.currency and snapshot.currency.upper() not in CURRENCIES:
        raise OrderRejected(f"{where}: unknown currency {snapshot.currency!r}")
    seen = set()
    for line in snapshot.lines:
        label = f"{where}, line {line.external_id} ({line.title or 'untitled'})"
        if not line.external_id or line.external_id in seen:
            raise OrderRejected(f"{label}: missing or repeated line id")
        seen.add(line.external_id)
        if line.quantity <= 0:
            raise OrderRejected(f"{label}: quantity must be at least 1, got {line.quantity}")
        if not 0 <= line.refunded_quantity <= line.quantity:
            raise OrderRejected(f"{label}: refunded quantity {line.refunded_quantity} of {line.quantity}")
        if not normalize_code(product_code(connection, line)):
            kind = "barcode" if connection.product_code_type == ProductCodeType.BARCODE else "SKU"
            raise OrderRejected(f"{label}: no {kind}, so it can never be matched to an item")


def _lock_order(connection: Connection, snapshot: ExternalOrder) -> tuple[Order, bool]:
    order = (
        Order.objects.select_for_update()
        .filter(connection=connection, external_id=snapshot.external_id)
        .first()
    )
    if order is not None:
        return order, False
    try:
        with transaction.atomic():
            return (
                Order.objects.create(
                    merchant_id=connection.merchant_id,
                    connection=connection,
                    external_id=snapshot.external_id,
                    number=snapshot.number[:64],
                    status=_STATUS[snapshot.status],
                    channel_created_at=snapshot.created_at,
                    channel_updated_at=snapshot.updated_at,
                ),
                True,
            )
    except IntegrityError:
        # A concurrent worker created it first; wait for its lock and carry on with its row.
        return Order.objects.select_for_update().get(
            connection=connection, external_id=snapshot.external_id
        ), False


def order_apply_snapshot(*, connection: Connection, snapshot: ExternalOrder, source: str) -> OrderApplied:
    validate_snapshot(connection=connection, snapshot=snapshot)
    with transaction.atomic():
        order, created = _lock_order(connection, snapshot)
        if not created and snapshot.updated_at < order.channel_updated_at:
            logger.info("ignored an older snapshot", extra={"order": order.pk, "source": source})
            return OrderApplied(order.pk, stale=True)

        previous_status = order.status
        status = _STATUS[snapshot.status]
        if previous_status == OrderStatus.DISPATCHED and status not in _CLOSED:
            status = OrderStatus.DISPATCHED  # staff released it; the channel's progress doesn't undo that
        order.status = status
        order.financial_status = snapshot.financial_status[:32]
        order.currency = snapshot.currency.upper()[:3]
        order.total = snapshot.total
        order.customer_name = snapshot.customer_name[:200]
        order.number = snapshot.number[:64] or order.number
        order.channel_updated_at = max(order.channel_updated_at, snapshot.updated_at)
        order.save()

        lines = {line.external_id: line for line in order.lines.select_for_update().order_by("pk")}
        # The channel moved its own stock for this order: by the units of lines it just sold, and
        # back by the open units of an order it just cancelled (channels restock on cancel).
        channel_deltas: dict[str, int] = {}
        if status in _CLOSED and previous_status not in _CLOSED and not created:
            for known in lines.values():
                channel_deltas[known.code_normalized] = (
                    channel_deltas.get(known.code_normalized, 0) + known.open_quantity
                )
        for external in snapshot.lines:
            code = product_code(connection, external)
            line = lines.get(external.external_id)
            if line is None and status not in _CLOSED:
                normalized = normalize_code(code)
                channel_deltas[normalized] = channel_deltas.get(normalized, 0) - external.quantity
            if line is None:
                line = OrderLine(
                    merchant_id=connection.merchant_id,
                    order=order,
                    connection=connection,
                    external_id=external.external_id,
                    state=LineState.STAGED,
                )
                lines[external.external_id] = line
            line.product_code = code[:128]
            line.code_normalized = normalize_code(code)[:128]
            line.sku = external.sku[:128]
            line.barcode = external.barcode[:64]
            line.title = external.title[:255]
            line.quantity = external.quantity
            line.refunded_quantity = external.refunded_quantity
            line.unit_price = external.unit_price
            line.save()
        # Lines the channel no longer lists (an order edit removed them) want nothing any more.
        listed = {external.external_id for external in snapshot.lines}
        for external_id, line in lines.items():
            if external_id not in listed and line.refunded_quantity != line.quantity:
                line.refunded_quantity = line.quantity
                line.save(update_fields=["refunded_quantity", "updated_at"])

        live, staged, released = _settle_lines(connection, order, list(lines.values()), source)
        note_channel_changes(
            connection_id=connection.pk, code_deltas=channel_deltas, happened_at=snapshot.updated_at
        )
    return OrderApplied(
        order.pk, created=created, lines_live=live, lines_staged=staged, lines_released=released
    )


def _settle_lines(
    connection: Connection, order: Order, lines: list[OrderLine], source: str
) -> tuple[int, int, int]:
    """Returns (lines made live, lines staged, lines released)."""
    live = [line for line in lines if line.state == LineState.LIVE]
    if order.status in _CLOSED:
        if lines:
            stock.release_lines(lines=lines, reason="cancelled", source=source)
        return 0, 0, len(live)
    if order.status == OrderStatus.DISPATCHED:
        return 0, 0, 0
    # Refunds and edits of live lines.
    if live:
        stock.resize_reservations(lines=live, source=source)
    # New lines, staged lines whose code got matched meanwhile, and lines of a re-opened order.
    pending = [
        line
        for line in lines
        if line.state in (LineState.STAGED, LineState.CANCELLED) and line.open_quantity > 0
    ]
    resolved = resolve_codes(connection=connection, codes={line.code_normalized for line in pending})
    to_reserve = []
    staged = 0
    for line in pending:
        item_id = resolved.get(line.code_normalized)
        if item_id is None:
            if line.state != LineState.STAGED:
                line.state = LineState.STAGED
                line.save(update_fields=["state", "updated_at"])
            staged += 1
            continue
        line.item_id = item_id
        line.save(update_fields=["item", "updated_at"])
        to_reserve.append(line)
    if to_reserve:
        stock.reserve_lines(lines=to_reserve, source=source)
    return len(to_reserve), staged, 0


def order_cancel_deleted(*, connection: Connection, external_id: str, source: str) -> bool:
    """The channel deleted an order (WooCommerce can): treat it as cancelled."""
    with transaction.atomic():
        order = (
            Order.objects.select_for_update().filter(connection=connection, external_id=external_id).first()
        )
        if order is None or order.status in _CLOSED:
            return False
        lines = list(order.lines.order_by("pk"))
        if lines:
            stock.release_lines(lines=lines, reason="cancelled", source=source)
        order.status = OrderStatus.CANCELLED
        order.save(update_fields=["status", "updated_at"])
    return True


def order_mark_dispatched(*, order: Order, user: Any = None) -> int:
    """Staff say this order will not be fulfilled through the hub (shipped from elsewhere,
    abandoned): its reservations are released and its staged lines stop waiting."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status in _CLOSED:
            return 0
        lines = list(order.lines.filter(state__in=[LineState.LIVE, LineState.STAGED]).order_by("pk"))
        live = [line for line in lines if line.state == LineState.LIVE]
        if live:
            stock.release_lines(
                lines=live, reason="released", source=f"marked dispatched by {user or 'system'}"
            )
        OrderLine.objects.filter(pk__in=[line.pk for line in lines if line.state == LineState.STAGED]).update(
            state=LineState.RELEASED, updated_at=timezone.now()
        )
        order.status = OrderStatus.DISPATCHED
        order.dispatched_at = timezone.now()
        order.dispatched_by = user if getattr(user, "pk", None) else None
        order.save(update_fields=["status", "dispatched_at", "dispatched_by", "updated_at"])
    return len(lines)
