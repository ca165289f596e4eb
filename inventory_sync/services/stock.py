"""Stock writes: the stock equation of DESIGN.md section 3.

    available = master_on_hand - open_reservations

Every write here runs in one explicit transaction that locks the affected items in primary-key
order (so two transactions touching the same items queue instead of deadlocking), appends one
immutable ledger row per item and change, and moves the item's counters with F() updates. A
failed check raises a `StockError` subclass before anything is written; a failure after the
first write rolls the whole transaction back. Callers never see a half-applied change.

`items_changed` is sent inside the transaction with the ids of the items whose availability
moved; the push layer listens and marks the items' listings dirty in the same transaction.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.dispatch import Signal
from django.utils import timezone

from inventory_sync.models import (
    Item,
    LineState,
    Merchant,
    MovementKind,
    OrderLine,
    Reservation,
    ReservationState,
    StockMovement,
)
from inventory_sync.sql import insert_objects, update_from_values

logger = logging.getLogger(__name__)

# Sent inside the writing transaction: sender=Item, merchant_id=int, item_ids=frozenset[int].
items_changed = Signal()

ZERO = Decimal(0)


class StockError(Exception):
    """A stock operation was refused; nothing was written."""


class InvalidQuantity(StockError):
    pass


class UnknownItem(StockError):
    pass


class AlreadyReserved(StockError):
    pass


class NotReservable(StockError):
    pass


class CrossMerchant(StockError):
    pass


@dataclass(frozen=True)
class MasterReading:
    """An item's quantity on hand as read from the master, with the master's own version.

    `updated_at` is the master's last-updated time and `sync_token` its edit counter; together
    they order readings, so a read that raced with a later change cannot win over it.
    """

    item_id: int
    qty_on_hand: Decimal
    updated_at: datetime
    sync_token: str = ""

    def version(self) -> tuple[datetime, int]:
        return (self.updated_at, _token_number(self.sync_token))


def _token_number(token: str) -> int:
    try:
        return int(token)
    except (TypeError, ValueError):
        return -1


def _stored_version(item: Item) -> tuple[datetime, int] | None:
    if item.master_updated_at is None:
        return None
    return (item.master_updated_at, _token_number(item.sync_token))


# ------------------------------------------------------------------------------------------
# Building blocks


def lock_items(*, merchant_id: int, item_ids: Iterable[int]) -> dict[int, Item]:
    """Lock items in primary-key order (re-locking rows this transaction holds is free)."""
    ids = sorted(set(item_ids))
    locked = {item.pk: item for item in Item.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    missing = set(ids) - set(locked)
    if missing:
        raise UnknownItem(f"unknown item ids: {sorted(missing)}")
    foreign = [pk for pk, item in locked.items() if item.merchant_id != merchant_id]
    if foreign:
        raise CrossMerchant(f"items {foreign} belong to another merchant")
    return locked


class _Ledger:
    """The ledger rows and counter moves of one transaction, written together: one INSERT for
    every row and one UPDATE per item, however many lines moved. Items must be locked (their
    in-memory counters are the truth while the lock is held), so running totals are exact."""

    def __init__(self, items: dict[int, Item]) -> None:
        self.items = items
        self.rows: list[StockMovement] = []
        self.deltas: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])

    def record(
        self,
        *,
        item: Item,
        kind: str,
        source: str,
        key: str,
        on_hand_delta: Decimal = ZERO,
        reserved_delta: Decimal = ZERO,
        reservation: Reservation | None = None,
    ) -> None:
        item.master_on_hand += on_hand_delta
        item.reserved += reserved_delta
        self.rows.append(
            StockMovement(
                merchant_id=item.merchant_id,
                item=item,
                kind=kind,
                on_hand_delta=on_hand_delta,
                reserved_delta=reserved_delta,
                on_hand_after=item.master_on_hand,
                reserved_after=item.reserved,
                source=source[:200],
                idempotency_key=key,
                reservation=reservation,
            )
        )
        moved = self.deltas[item.pk]
        moved[0] += on_hand_delta
        moved[1] += reserved_delta

    def flush(self) -> None:
        if self.rows:
            insert_objects(self.rows)
        moved = [
            (item_id, on_hand, reserved)
            for item_id, (on_hand, reserved) in sorted(self.deltas.items())
            if on_hand or reserved
        ]
        if len(moved) == 1:
            item_id, on_hand, reserved = moved[0]
            Item.objects.filter(pk=item_id).update(
                master_on_hand=F("master_on_hand") + on_hand, reserved=F("reserved") + reserved
            )
        elif moved:
            update_from_values(
                Item,
                columns=[("id", "bigint"), ("on_hand", "numeric"), ("reserved", "numeric")],
                rows=moved,
                assignments=(
                    "master_on_hand = {t}.master_on_hand + v.on_hand, reserved = {t}.reserved + v.reserved"
                ),
                where="{t}.id = v.id",
            )
        self.rows = []
        self.deltas.clear()


def _announce(merchant_id: int, item_ids: Iterable[int]) -> None:
    ids = frozenset(item_ids)
    if ids:
        items_changed.send(sender=Item, merchant_id=merchant_id, item_ids=ids)


def _single_merchant(objects: Sequence[OrderLine]) -> int:
    merchants = {obj.merchant_id for obj in objects}
    if len(merchants) != 1:
        raise CrossMerchant("one operation must stay within one merchant")
    return merchants.pop()


# ------------------------------------------------------------------------------------------
# Reservations


def reserve_lines(*, lines: Sequence[OrderLine], source: str) -> list[Reservation]:
    """Reserve the open quantity of each matched line; the lines become live.

    Raises InvalidQuantity (nothing left to reserve), NotReservable (no item, posted),
    AlreadyReserved (an open reservation exists), CrossMerchant, UnknownItem.
    """
    if not lines:
        return []
    merchant_id = _single_merchant(lines)
    for line in lines:
        if line.pk is None:
            raise NotReservable("save the order line before reserving it")
        if line.item_id is None:
            raise NotReservable(f"line {line.pk} has no matched item; it belongs in the staging area")
        if line.open_quantity <= 0:
            raise InvalidQuantity(f"line {line.pk} has no units to reserve (quantity {line.quantity})")
    with transaction.atomic():
        items = lock_items(merchant_id=merchant_id, item_ids=[line.item_id for line in lines if line.item_id])
        existing = {
            r.line_id: r
            for r in Reservation.objects.select_for_update().filter(line_id__in=[ln.pk for ln in lines])
        }
        ordered = sorted(lines, key=lambda ln: ln.pk)
        fresh: list[Reservation] = []
        reopened: list[Reservation] = []
        for line in ordered:
            item = items[line.item_id]  # type: ignore[index]
            quantity = Decimal(line.open_quantity)
            reservation = existing.get(line.pk)
            if reservation is None:
                fresh.append(Reservation(merchant_id=merchant_id, line=line, item=item, quantity=quantity))
            elif reservation.state == ReservationState.OPEN:
                raise AlreadyReserved(f"line {line.pk} is already reserved ({reservation.quantity} units)")
            elif reservation.state == ReservationState.POSTED:
                raise NotReservable(f"line {line.pk} was posted to the master; it cannot be reserved again")
            else:
                # Re-opened after an unmatch or a cancellation that the channel undid.
                reservation.item = item
                reservation.quantity = quantity
                reservation.state = ReservationState.OPEN
                reservation.revision += 1
                reservation.closed_at = None
                reopened.append(reservation)
        if fresh:
            try:
                with transaction.atomic():
                    insert_objects(fresh)
            except IntegrityError as exc:
                raise AlreadyReserved(f"a line of {[r.line_id for r in fresh]} is already reserved") from exc
        if reopened:
            Reservation.objects.bulk_update(reopened, ["item", "quantity", "state", "revision", "closed_at"])
        ledger = _Ledger(items)
        reservations = sorted(fresh + reopened, key=lambda r: r.line_id)
        for reservation in reservations:
            ledger.record(
                item=items[reservation.item_id],
                kind=MovementKind.RESERVE,
                source=source,
                key=f"reservation:{reservation.pk}:{reservation.revision}",
                reserved_delta=reservation.quantity,
                reservation=reservation,
            )
        ledger.flush()
        OrderLine.objects.filter(pk__in=[ln.pk for ln in lines]).update(
            state=LineState.LIVE, updated_at=timezone.now()
        )
        for line in lines:
            line.state = LineState.LIVE
        _announce(merchant_id, items)
    return reservations


CloseReason = Literal["cancelled", "released", "unmatched", "refunded"]
_CLOSE = {
    "cancelled": (MovementKind.CANCEL, ReservationState.CANCELLED, LineState.CANCELLED),
    "refunded": (MovementKind.CANCEL, ReservationState.CANCELLED, LineState.CANCELLED),
    "released": (MovementKind.RELEASE, ReservationState.RELEASED, LineState.RELEASED),
    "unmatched": (MovementKind.UNMATCH, ReservationState.RELEASED, LineState.STAGED),
}


def release_lines(*, lines: Sequence[OrderLine], reason: CloseReason, source: str) -> Decimal:
    """Close the open reservations of these lines and set the lines' state by `reason`.

    Idempotent: a line without an open reservation only has its state set (a staged line that is
    cancelled) or is left alone (a posted line). Returns the units released.
    """
    if not lines:
        return ZERO
    if reason not in _CLOSE:
        raise ValueError(f"unknown release reason {reason!r}")
    merchant_id = _single_merchant(lines)
    kind, reservation_state, line_state = _CLOSE[reason]
    released = ZERO
    with transaction.atomic():
        open_reservations = list(
            Reservation.objects.filter(line_id__in=[ln.pk for ln in lines], state=ReservationState.OPEN)
        )
        items = lock_items(merchant_id=merchant_id, item_ids=[r.item_id for r in open_reservations])
        # Re-read under the item locks: a concurrent release may have closed some meanwhile.
        open_reservations = list(
            Reservation.objects.select_for_update()
            .filter(pk__in=[r.pk for r in open_reservations], state=ReservationState.OPEN)
            .order_by("pk")
        )
        now = timezone.now()
        ledger = _Ledger(items)
        for reservation in open_reservations:
            quantity = reservation.quantity
            reservation.revision += 1
            reservation.state = reservation_state
            reservation.quantity = ZERO
            reservation.closed_at = now
            ledger.record(
                item=items[reservation.item_id],
                kind=kind,
                source=source,
                key=f"reservation:{reservation.pk}:{reservation.revision}",
                reserved_delta=-quantity,
                reservation=reservation,
            )
            released += quantity
        if open_reservations:
            Reservation.objects.bulk_update(open_reservations, ["revision", "state", "quantity", "closed_at"])
        ledger.flush()
        changeable = [ln.pk for ln in lines if ln.state not in (LineState.POSTED,)]
        update = {"state": line_state, "updated_at": now}
        if reason == "unmatched":
            update["item"] = None
        OrderLine.objects.filter(pk__in=changeable).exclude(state=LineState.POSTED).update(**update)
        for line in lines:
            if line.pk in changeable:
                line.state = line_state
                if reason == "unmatched":
                    line.item = None
        _announce(merchant_id, items)
    return released


def resize_reservations(*, lines: Sequence[OrderLine], source: str) -> Decimal:
    """Bring each open reservation to its line's open quantity (after a partial refund or an
    edit on the channel). A line with nothing left open is closed as refunded. Returns the
    change in reserved units (negative when units were freed)."""
    if not lines:
        return ZERO
    merchant_id = _single_merchant(lines)
    total = ZERO
    with transaction.atomic():
        by_line = {ln.pk: ln for ln in lines}
        held = Reservation.objects.filter(line_id__in=list(by_line), state=ReservationState.OPEN)
        # Most calls change nothing (a snapshot re-applied): lock only what moves.
        moving = [r for r in held if Decimal(by_line[r.line_id].open_quantity) != r.quantity]
        if not moving:
            return ZERO
        items = lock_items(merchant_id=merchant_id, item_ids=[r.item_id for r in moving])
        ledger = _Ledger(items)
        resized: list[Reservation] = []
        to_close = []
        for reservation in (
            Reservation.objects.select_for_update()
            .filter(pk__in=[r.pk for r in moving], state=ReservationState.OPEN)
            .order_by("pk")
        ):
            line = by_line[reservation.line_id]
            wanted = Decimal(line.open_quantity)
            if wanted == reservation.quantity:
                continue
            if wanted <= 0:
                to_close.append(line)
                continue
            delta = wanted - reservation.quantity
            reservation.revision += 1
            reservation.quantity = wanted
            resized.append(reservation)
            ledger.record(
                item=items[reservation.item_id],
                kind=MovementKind.RESERVATION_CHANGE,
                source=source,
                key=f"reservation:{reservation.pk}:{reservation.revision}",
                reserved_delta=delta,
                reservation=reservation,
            )
            total += delta
        if resized:
            Reservation.objects.bulk_update(resized, ["revision", "quantity"])
        ledger.flush()
        _announce(merchant_id, items)
        if to_close:
            total -= release_lines(lines=to_close, reason="refunded", source=source)
    return total


# ------------------------------------------------------------------------------------------
# The master's quantities


def apply_master_readings(
    *, merchant: Merchant | int, readings: Sequence[MasterReading], source: str
) -> list[int]:
    """Set master_on_hand from readings of the master, ignoring any reading older than the one
    already applied to that item (reads race with postings and with each other).

    Returns the ids of the items whose reading was applied.
    """
    merchant_id = merchant if isinstance(merchant, int) else merchant.pk
    if not readings:
        return []
    with transaction.atomic():
        items = lock_items(merchant_id=merchant_id, item_ids=[r.item_id for r in readings])
        ledger = _Ledger(items)
        applied = _apply_readings(
            ledger=ledger, items=items, readings=readings, source=source, kind=MovementKind.MASTER_REFRESH
        )
        ledger.flush()
        _announce(merchant_id, applied)
    return applied


def _apply_readings(
    *,
    ledger: _Ledger,
    items: dict[int, Item],
    readings: Sequence[MasterReading],
    source: str,
    kind: str,
    key_prefix: str = "master",
) -> list[int]:
    applied = []
    # Several readings of one item in one call: the newest wins.
    newest: dict[int, MasterReading] = {}
    for reading in readings:
        current = newest.get(reading.item_id)
        if current is None or reading.version() >= current.version():
            newest[reading.item_id] = reading
    for item_id, reading in sorted(newest.items()):
        item = items[item_id]
        stored = _stored_version(item)
        if stored is not None and reading.version() < stored:
            logger.info(
                "ignored a stale master reading",
                extra={
                    "item_id": item_id,
                    "reading": reading.updated_at.isoformat(),
                    "stored": stored[0].isoformat(),
                },
            )
            continue
        delta = Decimal(reading.qty_on_hand) - item.master_on_hand
        if delta:
            ledger.record(
                item=item,
                kind=kind,
                source=source,
                key=f"{key_prefix}:{item_id}:{reading.updated_at.isoformat()}:{reading.sync_token}:{reading.qty_on_hand}",
                on_hand_delta=delta,
            )
        item.master_updated_at = reading.updated_at
        item.sync_token = reading.sync_token
        applied.append(item_id)
    if applied:
        update_from_values(
            Item,
            columns=[("id", "bigint"), ("updated", "timestamptz"), ("token", "varchar")],
            rows=[(i, items[i].master_updated_at, items[i].sync_token) for i in applied],
            assignments="master_updated_at = v.updated, sync_token = v.token",
            where="{t}.id = v.id",
        )
    return applied


@dataclass(frozen=True)
class PostingOutcome:
    closed_reservations: int
    closed_units: Decimal
    readings_applied: list[int]


def post_reservations(
    *,
    merchant: Merchant | int,
    reservation_ids: Sequence[int],
    readings: Sequence[MasterReading],
    posting_ref: str,
    source: str,
) -> PostingOutcome:
    """The local half of a posting, after the master accepted the sale and was read back: in ONE
    transaction the posted reservations close and master_on_hand takes the read-back quantity.

    Availability cannot rise by mistake: reserved falls by exactly what the master's quantity
    already lost. Re-running it for the same posting changes nothing (closed reservations are
    skipped, ledger keys are unique).
    """
    merchant_id = merchant if isinstance(merchant, int) else merchant.pk
    ids = sorted(set(reservation_ids))
    with transaction.atomic():
        known = list(
            Reservation.objects.filter(pk__in=ids, merchant_id=merchant_id).values_list("pk", "item_id")
        )
        if len(known) != len(ids):
            raise CrossMerchant("some reservations are unknown or belong to another merchant")
        items = lock_items(
            merchant_id=merchant_id,
            item_ids=[item_id for _, item_id in known] + [r.item_id for r in readings],
        )
        # Under the item locks, the ones still open (a re-run finds none).
        reservations = list(
            Reservation.objects.select_for_update()
            .filter(pk__in=ids, state=ReservationState.OPEN)
            .order_by("pk")
            .values_list("pk", "item_id", "quantity", "line_id")
        )
        per_item: dict[int, Decimal] = defaultdict(Decimal)
        now = timezone.now()
        for _, item_id, quantity, _ in reservations:
            per_item[item_id] += quantity
        closing = [pk for pk, _, _, _ in reservations]
        Reservation.objects.filter(pk__in=closing).update(
            state=ReservationState.POSTED,
            quantity=ZERO,
            revision=F("revision") + 1,
            closed_at=now,
            posting_ref=posting_ref[:100],
        )
        OrderLine.objects.filter(pk__in=[line_id for _, _, _, line_id in reservations]).update(
            state=LineState.POSTED, updated_at=now
        )
        ledger = _Ledger(items)
        for item_id, units in sorted(per_item.items()):
            ledger.record(
                item=items[item_id],
                kind=MovementKind.POST,
                source=source,
                key=f"post:{posting_ref}:{item_id}",
                reserved_delta=-units,
            )
        applied = _apply_readings(
            ledger=ledger,
            items=items,
            readings=readings,
            source=source,
            kind=MovementKind.POST,
            key_prefix=f"post:{posting_ref}",
        )
        ledger.flush()
        _announce(merchant_id, items)
    return PostingOutcome(len(reservations), sum(per_item.values(), ZERO), applied)


# ------------------------------------------------------------------------------------------
# Reads and checks


def availability(*, item: Item) -> Decimal:
    """master_on_hand - open reservations, fresh from the database (negative = oversold)."""
    values = Item.objects.filter(pk=item.pk).values("master_on_hand", "reserved").get()
    return values["master_on_hand"] - values["reserved"]


@dataclass(frozen=True)
class CounterDifference:
    item_id: int
    counter: str  # "master_on_hand" or "reserved"
    stored: Decimal
    from_ledger: Decimal
    from_reservations: Decimal | None = None

    def __str__(self) -> str:
        extra = f", open reservations {self.from_reservations}" if self.from_reservations is not None else ""
        return f"item {self.item_id}: {self.counter} is {self.stored}, ledger says {self.from_ledger}{extra}"


def check_counters(*, merchant: Merchant | int | None = None) -> list[CounterDifference]:
    """Recompute every item's counters from the ledger (and reserved from open reservations)
    and report each difference. An empty list means the books agree."""
    items = Item.objects.all()
    movements = StockMovement.objects.all()
    reservations = Reservation.objects.filter(state=ReservationState.OPEN)
    if merchant is not None:
        items = items.filter(merchant=merchant)
        movements = movements.filter(merchant=merchant)
        reservations = reservations.filter(merchant=merchant)
    ledger = {
        row["item_id"]: (row["on_hand"], row["reserved"])
        for row in movements.values("item_id").annotate(
            on_hand=Sum("on_hand_delta"), reserved=Sum("reserved_delta")
        )
    }
    held = {
        row["item_id"]: row["units"] for row in reservations.values("item_id").annotate(units=Sum("quantity"))
    }
    differences = []
    for item_id, on_hand, reserved in items.values_list("pk", "master_on_hand", "reserved").iterator():
        ledger_on_hand, ledger_reserved = ledger.get(item_id, (ZERO, ZERO))
        held_units = held.get(item_id, ZERO)
        if on_hand != ledger_on_hand:
            differences.append(CounterDifference(item_id, "master_on_hand", on_hand, ledger_on_hand))
        if reserved != ledger_reserved or reserved != held_units:
            differences.append(CounterDifference(item_id, "reserved", reserved, ledger_reserved, held_units))
    return differences
