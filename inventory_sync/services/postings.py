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

import contextlib
import hashlib
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from channels.activity import activity_record
from channels.adapters.base import (
    AuthError,
    ChannelAdapter,
    ChannelError,
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
# QuickBooks' faults for a reference to something that is gone: 610 object not found (an
# inactive item), 2500 invalid reference.
NOT_FOUND_FAULTS = frozenset({"610", "2500"})


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
    # The first time: payouts paid since the connection was made. Earlier ones were the business
    # of whatever recorded sales before the hub (posting them now could count them twice).
    since = latest or timezone.localdate(connection.created_at)
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
    # Orders refunded in this payout whose sale an earlier posting already recorded.
    refunded_elsewhere: list[str] = field(default_factory=list)


def _order_ids_of(posting: Posting, adapter: ChannelAdapter | None) -> list[int]:
    """The hub's ids of the orders this posting records, fetching from the channel any that
    the webhooks and the catch-up have not brought yet. Ids, not rows: a payout can carry tens
    of thousands of orders."""
    connection = posting.connection
    if posting.order_id:
        return [posting.order_id]
    assert posting.payout is not None
    wanted = [str(x) for x in posting.payout.order_external_ids]

    def known() -> dict[str, int]:
        return dict(
            Order.objects.filter(connection=connection, external_id__in=wanted).values_list(
                "external_id", "pk"
            )
        )

    found = known()
    missing = [x for x in wanted if x not in found]
    if missing and adapter is not None:
        for external_id in missing:
            try:
                snapshot = adapter.fetch_order(external_id)
                order_apply_snapshot(
                    connection=connection, snapshot=snapshot, source=f"posting {posting.request_id}"
                )
            except (PermanentChannelError, OrderRejected) as exc:
                raise PostingHeld(f"order {external_id} of the payout could not be fetched: {exc}") from exc
        found = known()
        missing = [x for x in wanted if x not in found]
    if missing:
        raise PostingHeld(
            f"{len(missing)} order(s) of the payout are not in the hub yet: {', '.join(missing[:10])}"
        )
    return list(found.values())


def plan_posting(posting: Posting, *, adapter: ChannelAdapter | None = None) -> PostingPlan:
    order_ids = _order_ids_of(posting, adapter)
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
    # Plain tuples, not model rows: one payout may hold tens of thousands of reservations.
    rows = list(
        Reservation.objects.filter(line__order_id__in=order_ids, state=ReservationState.OPEN)
        .order_by("item_id", "pk")
        .values_list("pk", "item_id", "quantity", "line__unit_price")
    )
    quantity: dict[int, Decimal] = defaultdict(Decimal)
    amount: dict[int, Decimal] = defaultdict(Decimal)
    for _, item_id, units, unit_price in rows:
        quantity[item_id] += units
        amount[item_id] += units * unit_price
    items = {item.pk: item for item in Item.objects.filter(pk__in=list(quantity))}
    no_master = sorted({item.sku or item.name for item in items.values() if not item.master_id})
    if no_master:
        raise PostingHeld(f"items without a master id cannot be posted: {', '.join(no_master[:10])}")
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
        reservation_ids=[row[0] for row in rows],
        lines=lines,
        item_master_ids=[items[i].master_id for i in sorted(quantity)],
        orders=len(order_ids),
        units=sum(quantity.values(), Decimal(0)),
        total=sum((line.amount for line in lines), Decimal(0)),
        refunded_elsewhere=_refunded_elsewhere(posting),
    )


def _refunded_elsewhere(posting: Posting) -> list[str]:
    """Orders refunded in this payout that are not among its sales and whose lines were posted
    before: their refund is money only, as far as this posting goes."""
    if posting.payout is None:
        return []
    payout = posting.payout
    charged = {str(x) for x in payout.order_external_ids}
    refunded = [str(x) for x in payout.refund_order_external_ids if str(x) not in charged]
    if not refunded:
        return []
    return sorted(
        Order.objects.filter(
            connection=posting.connection, external_id__in=refunded, lines__state=LineState.POSTED
        )
        .values_list("number", flat=True)
        .distinct()
    )


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))


def _quantity(value: Decimal) -> str:
    """600, not 6E+2 (what Decimal.normalize() prints for a round number)."""
    return format(Decimal(value).normalize(), "f")


def _sale_for(posting: Posting, plan: PostingPlan) -> SalePosting:
    connection = posting.connection
    if not connection.posting_customer_ref:
        raise PostingHeld(f"choose the master customer for postings of {connection.name} in its settings")
    lines = list(plan.lines)
    memo = f"{connection.name}: {plan.orders} order(s), {_quantity(plan.units)} unit(s)"
    if posting.payout is not None:
        payout = posting.payout
        memo += (
            f"; payout {payout.external_id} of {_money(payout.amount)} {payout.currency}: gross sales "
            f"{_money(payout.gross_sales)}, fees {_money(payout.fees)}"
            + ("" if connection.posting_fee_item_ref else " (not on a line: no fee item chosen)")
            + f", refunds {_money(payout.refunds)}"
        )
        if plan.refunded_elsewhere:
            # Their sale went to QuickBooks with an earlier posting; the hub does not reverse it.
            memo += (
                "; refunds of orders posted earlier, not reversed here: "
                + ", ".join(plan.refunded_elsewhere[:20])
                + ("..." if len(plan.refunded_elsewhere) > 20 else "")
            )
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
    """Post, read back, close: see the module docstring. Safe to run again at any point.

    What can go wrong is kept on the posting, never half applied:
    - HELD (`hold_reason`): the posting cannot go out yet (staged lines, orders the channel
      cannot give, no customer chosen); every postings run tries it again.
    - FAILED (`error`, `fault` = QuickBooks' raw answer): QuickBooks refused the sale (an item
      deleted there, a revoked authorisation). Nothing was created, so the next attempt gets a
      fresh request id (QuickBooks answers a repeated one with the first answer, the Fault
      included). Staff retry it once the cause is fixed.
    - PENDING with `error`: a transient failure (QuickBooks or the channel unreachable,
      throttled); raised again for the job's retry, with the same request id.
    - A sale QuickBooks accepted whose quantities could not be read back (or whose local commit
      failed) keeps its request id and the transaction's id: running it again replays the same
      sale and finishes the local half.
    """
    posting = Posting.objects.select_related("connection", "master", "payout", "order").get(pk=posting_id)
    if posting.status == PostingStatus.POSTED:
        return posting
    Posting.objects.filter(pk=posting.pk).update(attempts=F("attempts") + 1)
    try:
        plan = plan_posting(posting, adapter=channel or _channel_adapter_or_none(posting.connection))
        if not plan.lines:
            _finish(posting, plan, master_txn_id="", doc_number="", readings=[])
            return Posting.objects.get(pk=posting.pk)
        sale = _sale_for(posting, plan)
    except TransientChannelError as exc:
        _hold(
            posting, f"{posting.connection.name} could not be read ({exc}); the next postings run tries again"
        )
        return Posting.objects.get(pk=posting.pk)
    except PostingHeld as held:
        _hold(posting, str(held))
        return Posting.objects.get(pk=posting.pk)
    master = master or master_adapter(posting.master)
    try:
        posted = master.post_sale(sale)
    except TransientChannelError as exc:
        # The job retries with backoff; the same request id makes the retry safe.
        Posting.objects.filter(pk=posting.pk).update(error=f"{exc} (will be retried)", hold_reason="")
        raise
    except PermanentChannelError as exc:
        _fail(posting, sale, master, plan, exc)
        return Posting.objects.get(pk=posting.pk)
    try:
        externals = master.fetch_items_by_id(plan.item_master_ids)
    except ChannelError as exc:
        Posting.objects.filter(pk=posting.pk).update(
            status=PostingStatus.PENDING if isinstance(exc, TransientChannelError) else PostingStatus.FAILED,
            master_txn_id=posted.external_id,
            doc_number=posted.doc_number[:21],
            error=(
                f"{sale.doc_number} is in {posting.master.name} (transaction {posted.external_id}) but its "
                f"quantities could not be read back: {exc}. Running it again finishes it without "
                "posting twice."
            ),
            fault=exc.raw or "",
            hold_reason="",
        )
        if isinstance(exc, TransientChannelError):
            raise
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
    try:
        _finish(
            posting, plan, master_txn_id=posted.external_id, doc_number=posted.doc_number, readings=readings
        )
    except Exception as exc:
        # QuickBooks has the sale; the local half rolled back. Say so, and let the retry replay it.
        with contextlib.suppress(Exception):
            Posting.objects.filter(pk=posting.pk).update(
                master_txn_id=posted.external_id,
                error=(
                    f"{sale.doc_number} is in {posting.master.name} (transaction {posted.external_id}) but "
                    f"the hub could not record it ({type(exc).__name__}: {exc}); running it again "
                    "finishes it without posting twice."
                ),
            )
        raise
    activity_record(
        merchant_id=posting.merchant_id,
        connection=posting.connection,
        kind=ActivityKind.POSTING,
        summary=(
            f"Posted {sale.doc_number} to {posting.master.name}: {plan.orders} order(s), "
            f"{len(plan.lines)} item line(s), {_quantity(plan.units)} unit(s), {plan.total}"
        ),
        details={"posting": posting.pk, "master_txn_id": posted.external_id},
    )
    return Posting.objects.get(pk=posting.pk)


def _hold(posting: Posting, reason: str) -> None:
    Posting.objects.filter(pk=posting.pk).update(status=PostingStatus.HELD, hold_reason=reason, error="")


def _fail(
    posting: Posting, sale: SalePosting, master: MasterAdapter, plan: PostingPlan, exc: PermanentChannelError
) -> None:
    """QuickBooks refused the sale: record why, with its raw answer, and make a retry possible."""
    message = str(exc)
    if exc.code in NOT_FOUND_FAULTS:
        gone = _items_gone(master, plan)
        if gone:
            message = (
                f"{', '.join(gone)} no longer exist(s) in {posting.master.name} (deleted or made inactive): "
                f"make it active again there, or match the product to another item, then retry. ({exc})"
            )
    update: dict[str, object] = {
        "status": PostingStatus.FAILED,
        "error": message,
        "fault": exc.raw or "",
        "hold_reason": "",
    }
    if (exc.code or isinstance(exc, AuthError)) and not posting.master_txn_id:
        # A Fault (or a refused token) means nothing was created. QuickBooks would answer the same
        # request id with the same Fault forever, so the retry must ask afresh. Never once a sale
        # under this request id is known to exist: its replay is what keeps it single.
        update["request_id"] = request_id_for("retry", posting.request_id, posting.attempts + 1)
    Posting.objects.filter(pk=posting.pk).update(**update)
    activity_record(
        merchant_id=posting.merchant_id,
        connection=posting.connection,
        kind=ActivityKind.POSTING,
        outcome=Outcome.ERROR,
        summary=f"Posting {sale.doc_number} to {posting.master.name} failed: {message}"[:300],
        payload=exc.raw or "",
        details={"posting": posting.pk},
    )


def _items_gone(master: MasterAdapter, plan: PostingPlan) -> list[str]:
    """The items of the plan QuickBooks no longer has active, by name (best effort)."""
    try:
        found = {e.external_id: e for e in master.fetch_items_by_id(plan.item_master_ids)}
    except ChannelError:
        return []
    names = {line.item_external_id: line.description for line in plan.lines}
    return [
        f"{names.get(item_id) or item_id} (QuickBooks id {item_id})"
        for item_id in plan.item_master_ids
        if item_id not in found or not found[item_id].active
    ]


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
