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
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from channels.adapters.base import ExternalOrder, ExternalOrderLine
from channels.adapters.base import OrderStatus as ChannelStatus
from channels.models import Connection, PostingMode, ProductCodeType
from channels.push import note_channel_changes
from inventory_sync.models import LineState, Order, OrderLine, OrderStatus, normalize_code
from inventory_sync.queueing import request_run
from inventory_sync.services import stock
from inventory_sync.sql import insert_objects
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
PER_ORDER_MODES = {PostingMode.PER_ORDER_RECEIPT, PostingMode.PER_ORDER_INVOICE}


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


def _lock_orders(connection: Connection, snapshots: list[ExternalOrder]) -> tuple[dict[str, Order], set[str]]:
    """Lock the orders of these snapshots (primary-key order), creating the missing ones.
    Returns the orders by external id and the external ids created here."""
    wanted = sorted(s.external_id for s in snapshots)
    locked = Order.objects.select_for_update().filter(connection=connection, external_id__in=wanted)
    orders = {order.external_id: order for order in locked.order_by("pk")}
    missing = sorted((s for s in snapshots if s.external_id not in orders), key=lambda s: s.external_id)
    if not missing:
        return orders, set()
    # Sorted inserts: two transactions creating overlapping orders queue on the unique index in
    # the same order instead of deadlocking. A row a concurrent run created first is kept.
    Order.objects.bulk_create(
        [
            Order(
                merchant_id=connection.merchant_id,
                connection=connection,
                external_id=snapshot.external_id,
                channel_created_at=snapshot.created_at,
                **_order_values(snapshot, _STATUS[snapshot.status]),
            )
            for snapshot in missing
        ],
        ignore_conflicts=True,
    )
    created = {snapshot.external_id for snapshot in missing}
    for order in locked.filter(external_id__in=created).order_by("pk"):
        orders[order.external_id] = order
    return orders, created


ORDER_FIELDS = (
    "status",
    "financial_status",
    "currency",
    "total",
    "customer_name",
    "number",
    "channel_updated_at",
)


def _order_values(snapshot: ExternalOrder, status: str) -> dict[str, object]:
    return {
        "status": status,
        "financial_status": snapshot.financial_status[:32],
        "currency": snapshot.currency.upper()[:3],
        "total": snapshot.total,
        "customer_name": snapshot.customer_name[:200],
        "number": snapshot.number[:64],
        "channel_updated_at": snapshot.updated_at,
    }


LINE_FIELDS = (
    "product_code",
    "code_normalized",
    "sku",
    "barcode",
    "title",
    "quantity",
    "refunded_quantity",
    "unit_price",
)


def _version(snapshot: ExternalOrder) -> tuple[object, int, int]:
    """How snapshots of one order are ordered. Platforms stamp updates to the second, so two
    changes in one second tie: then the closed one and the one with more refunded is newer (an
    order is cancelled or refunded after it is placed, far more often than re-opened)."""
    closed = _STATUS[snapshot.status] in _CLOSED
    return (snapshot.updated_at, int(closed), sum(line.refunded_quantity for line in snapshot.lines))


def _is_stale(snapshot: ExternalOrder, order: Order) -> bool:
    if snapshot.updated_at != order.channel_updated_at:
        return snapshot.updated_at < order.channel_updated_at
    # The same second: a re-sent "placed" after "cancelled" must not re-open the order.
    return order.status in _CLOSED and _STATUS[snapshot.status] not in _CLOSED


def order_apply_snapshot(*, connection: Connection, snapshot: ExternalOrder, source: str) -> OrderApplied:
    """Apply one order snapshot (see `order_apply_snapshots`)."""
    return order_apply_snapshots(connection=connection, snapshots=[snapshot], source=source)[
        snapshot.external_id
    ]


def order_apply_snapshots(
    *, connection: Connection, snapshots: list[ExternalOrder], source: str
) -> dict[str, OrderApplied]:
    """Apply many order snapshots of one connection in ONE transaction, with a bounded number of
    queries whatever their count: the inbox drains a burst of webhooks this way. Every snapshot
    is validated first; any invalid one raises OrderRejected and nothing is written (callers
    validate one by one to fail only the bad event). Several snapshots of one order: the newest
    wins. Per order: an older snapshot than the one applied is ignored (stale)."""
    for snapshot in snapshots:
        validate_snapshot(connection=connection, snapshot=snapshot)
    newest: dict[str, ExternalOrder] = {}
    for snapshot in snapshots:
        current = newest.get(snapshot.external_id)
        if current is None or _version(snapshot) >= _version(current):
            newest[snapshot.external_id] = snapshot
    results: dict[str, OrderApplied] = {}
    with transaction.atomic():
        orders, created = _lock_orders(connection, list(newest.values()))
        applied: list[tuple[Order, ExternalOrder, str]] = []  # (order, snapshot, previous status)
        updated: list[Order] = []
        ties: set[int] = set()  # orders whose snapshot carries the same second as the applied one
        for external_id, snapshot in newest.items():
            order = orders[external_id]
            if external_id in created:
                applied.append((order, snapshot, order.status))
                continue
            if _is_stale(snapshot, order):
                results[external_id] = OrderApplied(order.pk, stale=True)
                continue
            previous = order.status
            if snapshot.updated_at == order.channel_updated_at:
                ties.add(order.pk)
            status = _STATUS[snapshot.status]
            if previous == OrderStatus.DISPATCHED and status not in _CLOSED:
                status = OrderStatus.DISPATCHED  # staff released it; the channel's progress doesn't undo that
            values = _order_values(snapshot, status)
            values["number"] = values["number"] or order.number
            if any(getattr(order, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(order, name, value)
                order.updated_at = timezone.now()
                updated.append(order)
            applied.append((order, snapshot, previous))
        if not applied:
            return results
        if updated:
            Order.objects.bulk_update(updated, [*ORDER_FIELDS, "updated_at"])
        # Codes resolved up front, so new lines are created with their item already set.
        resolved = resolve_codes(
            connection=connection,
            codes={
                normalize_code(product_code(connection, line))
                for _, snapshot, _ in applied
                for line in snapshot.lines
            },
        )
        lines_by_order: dict[int, dict[str, OrderLine]] = defaultdict(dict)
        for line in (
            OrderLine.objects.select_for_update()
            .filter(order_id__in=[order.pk for order, _, _ in applied])
            .order_by("pk")
        ):
            lines_by_order[line.order_id][line.external_id] = line
        fresh: list[OrderLine] = []
        changed: list[OrderLine] = []
        deltas: dict[str, int] = defaultdict(int)
        happened = max(snapshot.updated_at for _, snapshot, _ in applied)
        for order, snapshot, previous in applied:
            known = lines_by_order[order.pk]
            closing = order.status in _CLOSED
            # The channel moved its own stock for this order: down by the units of lines it just
            # sold, back up by the open units of an order it just cancelled (channels restock).
            if closing and previous not in _CLOSED and order.external_id not in created:
                for sold in known.values():
                    deltas[sold.code_normalized] += sold.open_quantity
            for external in snapshot.lines:
                code = product_code(connection, external)
                values = {
                    "product_code": code[:128],
                    "code_normalized": normalize_code(code)[:128],
                    "sku": external.sku[:128],
                    "barcode": external.barcode[:64],
                    "title": external.title[:255],
                    "quantity": external.quantity,
                    "refunded_quantity": external.refunded_quantity,
                    "unit_price": external.unit_price,
                }
                existing = known.get(external.external_id)
                if existing is None:
                    line = OrderLine(
                        merchant_id=connection.merchant_id,
                        order=order,
                        connection=connection,
                        external_id=external.external_id,
                        state=LineState.STAGED,
                        item_id=None if closing else resolved.get(str(values["code_normalized"])),
                        **values,
                    )
                    known[external.external_id] = line
                    fresh.append(line)
                    if not closing:
                        deltas[line.code_normalized] -= external.quantity
                    continue
                if order.pk in ties:
                    # Same second, order unknown: refunds only grow.
                    values["refunded_quantity"] = max(existing.refunded_quantity, external.refunded_quantity)
                if any(getattr(existing, name) != value for name, value in values.items()):
                    for name, value in values.items():
                        setattr(existing, name, value)
                    changed.append(existing)
            # Lines the channel no longer lists (an order edit removed them) want nothing any more.
            listed = {external.external_id for external in snapshot.lines}
            for external_id, line in known.items():
                if external_id not in listed and line.refunded_quantity != line.quantity:
                    line.refunded_quantity = line.quantity
                    changed.append(line)
        if fresh:
            insert_objects(fresh)
        if changed:
            for line in changed:
                line.updated_at = timezone.now()
            OrderLine.objects.bulk_update(changed, [*LINE_FIELDS, "updated_at"])
        counts = _settle(
            connection=connection,
            applied=applied,
            lines_by_order=lines_by_order,
            changed=changed,
            resolved=resolved,
            source=source,
        )
        note_channel_changes(connection_id=connection.pk, code_deltas=dict(deltas), happened_at=happened)
        if connection.posting_mode in PER_ORDER_MODES and any(
            order.status == OrderStatus.FULFILLED and previous != OrderStatus.FULFILLED
            for order, _, previous in applied
        ):
            # Per-order posting: as soon as the order is fulfilled, not at the next scheduled run.
            request_run(
                "inventory_sync.tasks.postings_for_connection",
                connection.pk,
                queue="postings",
                key=f"postings:{connection.pk}",
            )
    for order, _, _ in applied:
        live, staged, released = counts.get(order.pk, (0, 0, 0))
        results[order.external_id] = OrderApplied(
            order.pk,
            created=order.external_id in created,
            lines_live=live,
            lines_staged=staged,
            lines_released=released,
        )
    return results


def _settle(
    *,
    connection: Connection,
    applied: list[tuple[Order, ExternalOrder, str]],
    lines_by_order: dict[int, dict[str, OrderLine]],
    changed: list[OrderLine],
    resolved: dict[str, int | None],
    source: str,
) -> dict[int, tuple[int, int, int]]:
    """Reservations follow the lines: closed orders release, refunds resize, new and newly
    matched lines reserve. Every item involved is locked first, in primary-key order, so this
    transaction cannot deadlock with another touching the same items. Returns, per order,
    (lines made live, lines staged, lines released)."""
    closing: list[OrderLine] = []
    resizing: list[OrderLine] = []
    pending: list[OrderLine] = []
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    changed_ids = {line.pk for line in changed}
    for order, _, _ in applied:
        lines = list(lines_by_order[order.pk].values())
        if order.status in _CLOSED:
            closing += lines
            counts[order.pk][2] = sum(1 for line in lines if line.state == LineState.LIVE)
        elif order.status != OrderStatus.DISPATCHED:
            resizing += [ln for ln in lines if ln.state == LineState.LIVE and ln.pk in changed_ids]
            pending += [
                ln
                for ln in lines
                if ln.state in (LineState.STAGED, LineState.CANCELLED) and ln.open_quantity > 0
            ]
    item_ids = {line.item_id for line in closing + resizing if line.item_id}
    item_ids |= {item_id for item_id in resolved.values() if item_id}
    if item_ids:
        stock.lock_items(merchant_id=connection.merchant_id, item_ids=item_ids)
    if closing:
        stock.release_lines(lines=closing, reason="cancelled", source=source)
    if resizing:
        stock.resize_reservations(lines=resizing, source=source)
    to_reserve: list[OrderLine] = []
    restaged: list[OrderLine] = []
    newly_matched: list[OrderLine] = []
    for line in pending:
        item_id = resolved.get(line.code_normalized)
        if item_id is None:
            if line.state != LineState.STAGED:
                line.state = LineState.STAGED
                restaged.append(line)
            counts[line.order_id][1] += 1
            continue
        if line.item_id != item_id:
            line.item_id = item_id
            newly_matched.append(line)
        to_reserve.append(line)
        counts[line.order_id][0] += 1
    if restaged:
        OrderLine.objects.bulk_update(restaged, ["state"])
    if newly_matched:
        OrderLine.objects.bulk_update(newly_matched, ["item"])
    if to_reserve:
        stock.reserve_lines(lines=to_reserve, source=source)
    return {order_id: (c[0], c[1], c[2]) for order_id, c in counts.items()}


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
