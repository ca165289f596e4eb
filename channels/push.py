"""Pushing the hub's quantities to the channels (DESIGN.md section 4.5).

Every stock change marks the item's listings dirty in the same transaction (`items_changed`).
After commit a coalesced, serialised push run per connection drains the dirty listings: it
computes each listing's quantity by the connection's rules, skips listings whose channel already
shows it, writes the rest in the platform's largest batches with the last known channel quantity
as compare value, and records each listing's outcome and any drift. A listing is cleared only if
no change marked it again while the push was in flight, so no update is ever lost.
"""

from __future__ import annotations

import enum
import logging
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import F, Min
from django.db.models.functions import Coalesce
from django.dispatch import receiver
from django.utils import timezone

from channels.activity import activity_record
from channels.adapters.base import (
    ChannelAdapter,
    PermanentChannelError,
    PushOutcome,
    PushResult,
    StockUpdate,
    TransientChannelError,
)
from channels.connections import channel_adapter
from channels.models import (
    ActivityKind,
    Connection,
    ConnectionStatus,
    DriftPolicy,
    Listing,
    Outcome,
    PushRound,
)
from inventory_sync.leases import Held, exclusive
from inventory_sync.models import Item
from inventory_sync.queueing import claim_run, jobs_waiting, request_run
from inventory_sync.services.stock import items_changed
from inventory_sync.sql import update_from_values

logger = logging.getLogger(__name__)

PUSH_TASK = "channels.tasks.push_connection"
MAX_LISTINGS_PER_ROUND = 5000
MAX_ROUNDS = 50
MAX_RUNS = 3


def push_key(connection_id: int) -> str:
    return f"push:{connection_id}"


def push_quantity(*, available: Decimal, connection: Connection) -> int:
    """rule(available) = clamp(floor(available * percent) - buffer, 0, max_listed), and 0 when
    fewer than `zero_below` units are available."""
    if available < connection.zero_below or available <= 0:
        return 0
    quantity = math.floor(available * connection.percent / 100) - connection.buffer
    if connection.max_listed is not None:
        quantity = min(quantity, connection.max_listed)
    return max(quantity, 0)


def request_push(connection_id: int, *, queue: str = "push") -> None:
    request_run(PUSH_TASK, connection_id, queue=queue, key=push_key(connection_id))


@receiver(items_changed, dispatch_uid="channels.push.mark_dirty")
def mark_items_dirty(*, merchant_id: int, item_ids: frozenset[int], **_: Any) -> None:
    """Mark the tracked listings of these items dirty on every connection that syncs, and ask
    those connections for a push once this transaction commits."""
    listings = Listing.objects.filter(
        merchant_id=merchant_id,
        item_id__in=item_ids,
        tracked=True,
        connection__sync_inventory=True,
        connection__status=ConnectionStatus.ACTIVE,
    )
    connection_ids = set(listings.values_list("connection_id", flat=True).distinct())
    if not connection_ids:
        return
    Listing.objects.filter(
        merchant_id=merchant_id, item_id__in=item_ids, tracked=True, connection_id__in=connection_ids
    ).update(
        push_pending=True, dirty_seq=F("dirty_seq") + 1, dirty_since=Coalesce("dirty_since", timezone.now())
    )
    for connection_id in sorted(connection_ids):
        request_push(connection_id)


def mark_connection_dirty(connection: Connection) -> int:
    """Every tracked, matched listing of the connection (sync just turned on, a full resync)."""
    count = Listing.objects.filter(connection=connection, tracked=True, item__isnull=False).update(
        push_pending=True, dirty_seq=F("dirty_seq") + 1, dirty_since=Coalesce("dirty_since", timezone.now())
    )
    if count:
        request_push(connection.pk)
    return count


def mark_listings_dirty(*, connection: Connection, listing_ids: Iterable[int]) -> int:
    count = Listing.objects.filter(connection=connection, pk__in=list(listing_ids), tracked=True).update(
        push_pending=True, dirty_seq=F("dirty_seq") + 1, dirty_since=Coalesce("dirty_since", timezone.now())
    )
    if count:
        request_push(connection.pk)
    return count


def note_channel_changes(*, connection_id: int, code_deltas: dict[str, int], happened_at: datetime) -> None:
    """A channel moves its own stock when it sells (and restocks on cancel): keep the hub's idea
    of the channel's quantity in step, so the next compare-and-set sees no false drift. Only
    observations older than the change are adjusted (a newer one already includes it). One
    UPDATE for every code of a batch (a burst of 200 orders touches a few hundred codes)."""
    rows = sorted((code, delta) for code, delta in code_deltas.items() if delta)
    if not rows:
        return
    update_from_values(
        Listing,
        columns=[("code", "varchar"), ("delta", "integer")],
        rows=rows,
        assignments="last_seen_qty = {t}.last_seen_qty + v.delta",
        where=(
            "{t}.code_normalized = v.code AND {t}.connection_id = %s AND {t}.tracked"
            " AND {t}.last_seen_qty IS NOT NULL AND {t}.last_seen_at < %s"
        ),
        where_params=[connection_id, happened_at],
    )


@dataclass
class PushSummary:
    considered: int = 0
    written: int = 0
    skipped: int = 0
    drift: int = 0
    errors: int = 0
    write_calls: int = 0


def push_connection(connection_id: int, *, adapter: ChannelAdapter | None = None) -> PushSummary:
    """Drain the connection's dirty listings; never two runs at once for one connection.

    A run that finds the lease held returns at once: the holder looks for pending listings again
    after letting go, so a change marked while it worked is never stranded. A killed holder's
    lease expires and the sweeper's next request takes over. A run hands its worker over to
    waiting webhooks between rounds (see `_drain`) and queues its own continuation behind them.
    """
    claim_run(push_key(connection_id))
    summary = PushSummary()
    connection: Connection | None = None
    handed_over = False
    for _ in range(MAX_RUNS):
        with exclusive(push_key(connection_id)) as held:
            if held is None:
                return summary
            connection = Connection.objects.filter(pk=connection_id).first()
            if (
                connection is None
                or not connection.sync_inventory
                or connection.status != ConnectionStatus.ACTIVE
            ):
                return summary
            drained = _drain(connection, adapter, summary, held)
        if drained is _Drained.HANDED_OVER:
            handed_over = True
            break
        if drained is _Drained.STOPPED:
            break
        if not Listing.objects.filter(connection_id=connection_id, push_pending=True).exists():
            break
    if handed_over:
        # Requested after the lease is released, so the continuation cannot find it held; on
        # the webhooks queue, so it runs after the inbox work that was waiting, not before it.
        request_push(connection_id, queue="webhooks")
    if connection is not None and (summary.written or summary.drift or summary.errors):
        _record_summary(connection, summary)
    return summary


class _Drained(enum.Enum):
    EMPTY = "nothing left pending"
    STOPPED = "a permanent failure stopped the run"
    HANDED_OVER = "webhooks wait for a worker"


def _webhooks_waiting() -> bool:
    """Order webhooks wait for a worker. A push run holding one worker round after round (sales
    keep marking listings dirty) and another on the second worker would keep those webhooks,
    the next sales, from being reserved: so a run lets go between rounds when they wait."""
    return jobs_waiting("webhooks")


def _drain(
    connection: Connection, adapter: ChannelAdapter | None, summary: PushSummary, held: Held
) -> _Drained:
    """Push rounds until nothing is pending, a permanent failure stops them, or webhooks wait
    (after at least one round, so every run makes progress)."""
    _debounce(connection)
    adapter = adapter or channel_adapter(connection)
    for _ in range(MAX_ROUNDS):
        held.refresh()
        read_at = timezone.now()
        batch: list[dict[str, Any]] = [
            dict(row)
            for row in Listing.objects.filter(connection=connection, push_pending=True)
            .order_by("pk")
            .values(
                "pk",
                "dirty_seq",
                "external_id",
                "inventory_item_id",
                "location_id",
                "item_id",
                "tracked",
                "last_seen_qty",
                "last_pushed_qty",
            )[:MAX_LISTINGS_PER_ROUND]
        ]
        if not batch:
            return _Drained.EMPTY
        before = PushSummary(**summary.__dict__)
        carry_on = _push_round(connection, adapter, batch, summary)
        PushRound.objects.create(
            merchant_id=connection.merchant_id,
            connection=connection,
            read_at=read_at,
            finished_at=timezone.now(),
            listings=len(batch),
            written=summary.written - before.written,
            skipped=summary.skipped - before.skipped,
            drift=summary.drift - before.drift,
            errors=summary.errors - before.errors,
            write_calls=summary.write_calls - before.write_calls,
        )
        if not carry_on:
            return _Drained.STOPPED
        if _webhooks_waiting() and Listing.objects.filter(connection=connection, push_pending=True).exists():
            return _Drained.HANDED_OVER
    return _Drained.EMPTY


def _record_summary(connection: Connection, summary: PushSummary) -> None:
    outcome = Outcome.ERROR if summary.errors else (Outcome.WARNING if summary.drift else Outcome.OK)
    activity_record(
        merchant_id=connection.merchant_id,
        connection=connection,
        kind=ActivityKind.PUSH,
        outcome=outcome,
        summary=(
            f"Pushed {summary.written} listing(s) to {connection.name} in {summary.write_calls} call(s)"
            f"; {summary.skipped} already right, {summary.drift} drift, {summary.errors} failed"
        ),
        details=summary.__dict__,
    )


def _debounce(connection: Connection) -> None:
    """Wait until the oldest dirty mark is `PUSH_DEBOUNCE_SECONDS` old, so a burst of sales goes
    out in one batch; never longer than that. Not while webhooks wait for a worker: a sleeping
    worker would hold back the next sales' reservations, and under that load the time this run
    waited in the queue already gathered a batch."""
    oldest = Listing.objects.filter(connection=connection, push_pending=True).aggregate(t=Min("dirty_since"))[
        "t"
    ]
    if oldest is None:
        return
    wait = settings.PUSH_DEBOUNCE_SECONDS - (timezone.now() - oldest).total_seconds()
    if wait > 0 and not _webhooks_waiting():
        time.sleep(min(wait, settings.PUSH_DEBOUNCE_SECONDS))


def _push_round(
    connection: Connection, adapter: ChannelAdapter, batch: list[dict], summary: PushSummary
) -> bool:
    available = dict(
        Item.objects.filter(pk__in={row["item_id"] for row in batch if row["item_id"]}).values_list(
            "pk", "available"
        )
    )
    updates: list[StockUpdate] = []
    targets: dict[str, tuple[dict, int]] = {}
    settled: list[dict] = []  # nothing to write: cleared as they are
    for row in batch:
        summary.considered += 1
        if not row["tracked"] or row["item_id"] is None:
            settled.append(row)
            continue
        target = push_quantity(available=available[row["item_id"]], connection=connection)
        if row["last_seen_qty"] == target:
            summary.skipped += 1
            settled.append(row)
            continue
        updates.append(
            StockUpdate(
                listing_external_id=row["external_id"],
                quantity=target,
                compare_quantity=row["last_seen_qty"],
                inventory_item_id=row["inventory_item_id"],
                location_id=row["location_id"] or connection.location_id,
            )
        )
        targets[row["external_id"]] = (row, target)
    if updates:
        key = f"push:{connection.pk}:{batch[0]['pk']}:{batch[0]['dirty_seq']}:{len(updates)}"
        try:
            results = adapter.push_stock(updates, idempotency_key=key)
        except TransientChannelError as exc:
            # Leave everything pending; the job's retry (with backoff) comes back for it.
            _record_failure(connection, exc, transient=True)
            raise
        except PermanentChannelError as exc:
            _record_failure(connection, exc, transient=False)
            summary.errors += len(updates)
            return False
        summary.write_calls += math.ceil(len(updates) / adapter.push_batch_limit)
        _record_results(connection, targets, results, summary)
    _clear(settled)
    return True


def _record_results(
    connection: Connection,
    targets: dict[str, tuple[dict, int]],
    results: list[PushResult],
    summary: PushSummary,
) -> None:
    now = timezone.now()
    done: list[dict] = []
    written: list[tuple[int, int]] = []  # (listing, quantity now on the channel)
    for result in results:
        row, target = targets[result.listing_external_id]
        if result.outcome == PushOutcome.OK:
            summary.written += 1
            written.append((row["pk"], target))
            done.append(row)
        elif result.outcome == PushOutcome.DRIFT:
            summary.drift += 1
            observed = result.quantity
            fields: dict[str, Any] = {
                "last_push_outcome": PushOutcome.DRIFT,
                "drift_qty": observed,
                "drift_detected_at": now,
                "last_push_error": result.message,
            }
            if observed is not None:
                fields.update(last_seen_qty=observed, last_seen_at=now)
            Listing.objects.filter(pk=row["pk"]).update(**fields)
            if connection.drift_policy == DriftPolicy.HUB_WINS and observed is not None and observed > target:
                # Stays pending: the next round lowers the channel to the hub's quantity.
                continue
            # A channel showing less than the hub expected has most likely sold units whose
            # orders the hub has not processed yet: raising it now would put them back on sale.
            # Those orders, once processed, push again; a manual decrease is repaired by
            # reconcile once the channel is quiet. Under the flag policy nothing is written.
            done.append(row)
        else:
            summary.errors += 1
            Listing.objects.filter(pk=row["pk"]).update(
                last_push_outcome=PushOutcome.ERROR, last_push_error=result.message
            )
            done.append(row)
    if written:
        update_from_values(
            Listing,
            columns=[("id", "bigint"), ("quantity", "integer")],
            rows=written,
            assignments=(
                "last_pushed_qty = v.quantity, last_seen_qty = v.quantity, last_pushed_at = %s, "
                "last_seen_at = %s, last_push_outcome = %s, last_push_error = '', drift_qty = NULL, "
                "drift_detected_at = NULL"
            ),
            where="{t}.id = v.id",
            params=[now, now, PushOutcome.OK],
        )
    _clear(done)


def _clear(rows: Iterable[dict]) -> None:
    """Clear push_pending only where no newer change marked the listing again meanwhile."""
    update_from_values(
        Listing,
        columns=[("id", "bigint"), ("seq", "bigint")],
        rows=[(row["pk"], row["dirty_seq"]) for row in rows],
        assignments="push_pending = %s, dirty_since = NULL",
        where="{t}.id = v.id AND {t}.dirty_seq = v.seq",
        params=[False],
    )


def _record_failure(connection: Connection, exc: Exception, *, transient: bool) -> None:
    activity_record(
        merchant_id=connection.merchant_id,
        connection=connection,
        kind=ActivityKind.PUSH,
        outcome=Outcome.WARNING if transient else Outcome.ERROR,
        summary=f"Push to {connection.name} failed{' (will retry)' if transient else ''}: {exc}",
        payload=getattr(exc, "raw", "") or "",
    )
