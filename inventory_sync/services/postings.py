"""Postings: recording channel sales in the master (DESIGN.md sections 3 and 4.8).

Per payout (Shopify Payments): one summary sales receipt with one line per item (quantities and
amounts summed over every order the payout paid out), whatever the number of orders, so
QuickBooks never carries tens of thousands of small sales on one item. Or, per connection, one
sales receipt or invoice per order as soon as it is fulfilled.

A posting is one atomic step for stock: post with an idempotency key (the same request id on
every retry, so QuickBooks returns the first transaction instead of creating a second), read the
items' quantities back, then in ONE database transaction close the posted reservations and set
master_on_hand from the read-back. A crash anywhere in between is repaired by running it again.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from channels.activity import activity_record
from channels.adapters.base import (
    ChannelAdapter,
    MasterAdapter,
    NotSupported,
    PermanentChannelError,
    SaleKind,
    SaleLine,
    SalePosting,
    TransientChannelError,
)
from channels.connections import channel_adapter, master_adapter
from channels.models import ActivityKind, Connection, ConnectionRole, ConnectionStatus, Outcome, PostingMode
from inventory_sync.models import (
    Item,
    LineState,
    Order,
    OrderLine,
    OrderStatus,
    Payout,
    Posting,
    PostingStatus,
    Reservation,
    ReservationState,
)
from inventory_sync.services.orders import OrderRejected, order_apply_snapshot
from inventory_sync.services.stock import MasterReading, post_reservations

logger = logging.getLogger(__name__)

MAX_PAYOUT_PAGES = 100


class PostingHeld(Exception):
    """The posting cannot go out yet; the message says what it waits for."""


def master_connection(merchant_id: int) -> Connection | None:
    return (
        Connection.objects.filter(
            merchant_id=merchant_id, role=ConnectionRole.MASTER, status=ConnectionStatus.ACTIVE
        )
        .order_by("pk")
        .first()
    )


def request_id_for(*parts: object) -> str:
    """A stable idempotency key of at most 50 characters (QuickBooks' limit on requestid)."""
    text = ":".join(str(p) for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:40]


# ------------------------------------------------------------------------------------------
# Payouts in


def sync_payouts(*, connection: Connection, adapter: ChannelAdapter | None = None) -> list[Posting]:
    """Read paid payouts since the last one and create a pending posting for each new one."""
    if connection.posting_mode != PostingMode.PAYOUT_SUMMARY:
        return []
    master = master_connection(connection.merchant_id)
    if master is None:
        return []
    adapter = adapter or channel_adapter(connection)
    latest = (
        Payout.objects.filter(connection=connection).order_by("-date").values_list("date", flat=True).first()
    )
    since = latest or (timezone.now().date().replace(day=1))
    created = []
    cursor: str | None = None
    try:
        for _ in range(MAX_PAYOUT_PAGES):
            page = adapter.fetch_payouts(since=since, cursor=cursor)
            for external in page.items:
                if external.status != "paid":
                    continue
                payout, _ = Payout.objects.update_or_create(
                    connection=connection,
                    external_id=external.external_id,
                    defaults={
                        "merchant_id": connection.merchant_id,
                        "status": external.status,
                        "date": external.date,
                        "currency": external.currency,
                        "amount": external.amount,
                        "fees": external.fees,
                        "gross_sales": external.gross_sales,
                        "refunds": external.refunds,
                        "order_external_ids": list(external.order_external_ids),
                        "refund_order_external_ids": list(external.refund_order_external_ids),
                    },
                )
                posting, was_created = Posting.objects.get_or_create(
                    payout=payout,
                    defaults={
                        "merchant_id": connection.merchant_id,
                        "connection": connection,
                        "master": master,
                        "kind": SaleKind.SALES_RECEIPT,
                        "request_id": request_id_for("payout", connection.uuid, payout.external_id),
                    },
                )
                if was_created:
                    created.append(posting)
            cursor = page.next_cursor
            if cursor is None:
                break
    except NotSupported:
        return []
    return created


# ------------------------------------------------------------------------------------------
# Building a posting


@dataclass(frozen=True)
class PostingPlan:
    reservation_ids: list[int]
    lines: list[SaleLine]
    item_master_ids: list[str]
    orders: int
    units: Decimal
    total: Decimal


def _orders_of(posting: Posting, adapter: ChannelAdapter | None) -> list[Order]:
    connection = posting.connection
    if posting.order_id:
        return [posting.order] if posting.order else []
    assert posting.payout is not None
    wanted = [str(x) for x in posting.payout.order_external_ids]
    found = {o.external_id: o for o in Order.objects.filter(connection=connection, external_id__in=wanted)}
    missing = [x for x in wanted if x not in found]
    if missing and adapter is not None:
        # Orders the webhooks and the catch-up have not brought yet: fetch them now.
        for external_id in missing:
            try:
                snapshot = adapter.fetch_order(external_id)
                order_apply_snapshot(
                    connection=connection, snapshot=snapshot, source=f"posting {posting.request_id}"
                )
            except (PermanentChannelError, OrderRejected) as exc:
                raise PostingHeld(f"order {external_id} of the payout could not be fetched: {exc}") from exc
        found = {
            o.external_id: o for o in Order.objects.filter(connection=connection, external_id__in=wanted)
        }
        missing = [x for x in wanted if x not in found]
    if missing:
        raise PostingHeld(
            f"{len(missing)} order(s) of the payout are not in the hub yet: {', '.join(missing[:10])}"
        )
    return list(found.values())


def plan_posting(posting: Posting, *, adapter: ChannelAdapter | None = None) -> PostingPlan:
    orders = _orders_of(posting, adapter)
    order_ids = [o.pk for o in orders]
    staged = list(
        OrderLine.objects.filter(order_id__in=order_ids, state=LineState.STAGED)
        .values_list("order__number", "product_code")
        .order_by("order__number")[:20]
    )
    if staged:
        codes = sorted({code for _, code in staged})
        numbers = sorted({number for number, _ in staged})
        raise PostingHeld(
            f"lines of order(s) {', '.join(numbers[:10])} wait in the staging area "
            f"(codes {', '.join(codes)}): add their matchings to post this payout"
        )
    rows = list(
        Reservation.objects.filter(line__order_id__in=order_ids, state=ReservationState.OPEN)
        .select_related("item", "line")
        .order_by("item_id", "pk")
    )
    no_master = sorted({r.item.sku or r.item.name for r in rows if not r.item.master_id})
    if no_master:
        raise PostingHeld(f"items without a master id cannot be posted: {', '.join(no_master[:10])}")
    quantity: dict[int, Decimal] = defaultdict(Decimal)
    amount: dict[int, Decimal] = defaultdict(Decimal)
    items: dict[int, Item] = {}
    for reservation in rows:
        quantity[reservation.item_id] += reservation.quantity
        amount[reservation.item_id] += reservation.quantity * reservation.line.unit_price
        items[reservation.item_id] = reservation.item
    lines = [
        SaleLine(
            item_external_id=items[item_id].master_id,
            quantity=quantity[item_id],
            amount=amount[item_id].quantize(Decimal("0.01")),
            description=items[item_id].name,
        )
        for item_id in sorted(quantity)
        if quantity[item_id] > 0
    ]
    return PostingPlan(
        reservation_ids=[r.pk for r in rows],
        lines=lines,
        item_master_ids=[items[i].master_id for i in sorted(quantity)],
        orders=len(orders),
        units=sum(quantity.values(), Decimal(0)),
        total=sum((line.amount for line in lines), Decimal(0)),
    )


def _sale_for(posting: Posting, plan: PostingPlan) -> SalePosting:
    connection = posting.connection
    if not connection.posting_customer_ref:
        raise PostingHeld(f"choose the master customer for postings of {connection.name} in its settings")
    lines = list(plan.lines)
    memo = f"{connection.name}: {plan.orders} order(s), {plan.units.normalize()} unit(s)"
    if posting.payout is not None:
        payout = posting.payout
        memo += f"; payout {payout.external_id} of {payout.amount} {payout.currency}, fees {payout.fees}"
        if payout.fees and connection.posting_fee_item_ref:
            lines.append(
                SaleLine(
                    connection.posting_fee_item_ref,
                    Decimal(1),
                    -payout.fees,
                    f"Fees of payout {payout.external_id}",
                )
            )
        doc = f"PO-{payout.external_id}"
        txn_date = payout.date
    else:
        assert posting.order is not None
        doc = f"OR-{posting.order.number or posting.order.external_id}".replace("#", "")
        txn_date = posting.order.channel_created_at.date()
    return SalePosting(
        kind=SaleKind(posting.kind),
        request_id=posting.request_id,
        customer_external_id=connection.posting_customer_ref,
        txn_date=txn_date if isinstance(txn_date, date) else timezone.now().date(),
        doc_number=doc[:21],
        lines=tuple(lines),
        memo=memo[:4000],
        deposit_account_external_id=connection.posting_deposit_account_ref,
    )


# ------------------------------------------------------------------------------------------
# Running a posting


def run_posting(
    posting_id: int, *, master: MasterAdapter | None = None, channel: ChannelAdapter | None = None
) -> Posting:
    """Post, read back, close: see the module docstring. Safe to run again at any point."""
    posting = Posting.objects.select_related("connection", "master", "payout", "order").get(pk=posting_id)
    if posting.status == PostingStatus.POSTED:
        return posting
    Posting.objects.filter(pk=posting.pk).update(attempts=posting.attempts + 1)
    try:
        plan = plan_posting(posting, adapter=channel or _channel_adapter_or_none(posting.connection))
        if not plan.lines:
            _finish(posting, plan, master_txn_id="", doc_number="", readings=[])
            return Posting.objects.get(pk=posting.pk)
        sale = _sale_for(posting, plan)
    except PostingHeld as held:
        Posting.objects.filter(pk=posting.pk).update(status=PostingStatus.HELD, hold_reason=str(held))
        return Posting.objects.get(pk=posting.pk)
    master = master or master_adapter(posting.master)
    try:
        posted = master.post_sale(sale)
        externals = master.fetch_items_by_id(plan.item_master_ids)
    except TransientChannelError:
        raise  # the job retries with backoff; the same request id makes the retry safe
    except PermanentChannelError as exc:
        Posting.objects.filter(pk=posting.pk).update(
            status=PostingStatus.FAILED, error=str(exc), fault=exc.raw or "", hold_reason=""
        )
        activity_record(
            merchant_id=posting.merchant_id,
            connection=posting.connection,
            kind=ActivityKind.POSTING,
            outcome=Outcome.ERROR,
            summary=f"Posting {sale.doc_number} to {posting.master.name} failed: {exc}",
            payload=exc.raw or "",
            details={"posting": posting.pk},
        )
        return Posting.objects.get(pk=posting.pk)
    item_ids = dict(
        Item.objects.filter(merchant_id=posting.merchant_id, master_id__in=plan.item_master_ids).values_list(
            "master_id", "pk"
        )
    )
    readings = [
        MasterReading(item_ids[e.external_id], e.qty_on_hand, e.updated_at, e.sync_token)
        for e in externals
        if e.external_id in item_ids and e.qty_on_hand is not None
    ]
    _finish(posting, plan, master_txn_id=posted.external_id, doc_number=posted.doc_number, readings=readings)
    activity_record(
        merchant_id=posting.merchant_id,
        connection=posting.connection,
        kind=ActivityKind.POSTING,
        summary=(
            f"Posted {sale.doc_number} to {posting.master.name}: {plan.orders} order(s), "
            f"{len(plan.lines)} item line(s), {plan.units.normalize()} unit(s), {plan.total}"
        ),
        details={"posting": posting.pk, "master_txn_id": posted.external_id},
    )
    return Posting.objects.get(pk=posting.pk)


def _finish(
    posting: Posting,
    plan: PostingPlan,
    *,
    master_txn_id: str,
    doc_number: str,
    readings: Sequence[MasterReading],
) -> None:
    with transaction.atomic():
        post_reservations(
            merchant=posting.merchant_id,
            reservation_ids=plan.reservation_ids,
            readings=readings,
            posting_ref=posting.request_id,
            source=f"posting {doc_number or posting.request_id}",
        )
        Posting.objects.filter(pk=posting.pk).update(
            status=PostingStatus.POSTED,
            master_txn_id=master_txn_id,
            doc_number=doc_number[:21],
            lines=[
                {
                    "item": line.item_external_id,
                    "quantity": str(line.quantity),
                    "amount": str(line.amount),
                    "description": line.description,
                }
                for line in plan.lines
            ],
            orders_count=plan.orders,
            units=plan.units,
            total=plan.total,
            hold_reason="",
            error="",
            fault="",
            posted_at=timezone.now(),
        )


def _channel_adapter_or_none(connection: Connection) -> ChannelAdapter | None:
    try:
        return channel_adapter(connection)
    except (NotSupported, AssertionError):
        return None


def retry_posting(posting: Posting) -> None:
    """Staff asked to try a failed or held posting again."""
    from inventory_sync.queueing import request_run

    Posting.objects.filter(pk=posting.pk, status__in=[PostingStatus.FAILED, PostingStatus.HELD]).update(
        status=PostingStatus.PENDING, error="", fault=""
    )
    request_run("inventory_sync.tasks.run_posting", posting.pk, queue="postings", key=f"posting:{posting.pk}")


# ------------------------------------------------------------------------------------------
# Per-order postings


def per_order_postings_due(*, connection: Connection) -> list[Posting]:
    """Fulfilled orders of a per-order connection that have no posting yet get one."""
    if connection.posting_mode not in (PostingMode.PER_ORDER_RECEIPT, PostingMode.PER_ORDER_INVOICE):
        return []
    master = master_connection(connection.merchant_id)
    if master is None:
        return []
    kind = (
        SaleKind.INVOICE
        if connection.posting_mode == PostingMode.PER_ORDER_INVOICE
        else SaleKind.SALES_RECEIPT
    )
    created = []
    for order in Order.objects.filter(
        connection=connection, status=OrderStatus.FULFILLED, posting__isnull=True
    )[:1000]:
        posting, was_created = Posting.objects.get_or_create(
            order=order,
            defaults={
                "merchant_id": connection.merchant_id,
                "connection": connection,
                "master": master,
                "kind": kind,
                "request_id": request_id_for("order", connection.uuid, order.external_id),
            },
        )
        if was_created:
            created.append(posting)
    return created
