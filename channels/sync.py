"""Scheduled work per connection: order catch-up, reconcile, master CDC, and the sweeper.

One cron job (`tick`, every 30 seconds) asks for whatever is due on each connection, by the
connection's own intervals, and sweeps up work whose wake-up was lost (Redis down, a worker
killed). Every run is coalesced and serialised per connection (see `request_run`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Min
from django.utils import timezone

from channels.activity import activity_record
from channels.adapters.base import ChannelAdapter
from channels.connections import channel_adapter
from channels.master import run_master_cdc
from channels.models import (
    ActivityKind,
    Connection,
    ConnectionRole,
    ConnectionStatus,
    DriftPolicy,
    EventStatus,
    Listing,
    Outcome,
    PostingMode,
    WebhookEvent,
)
from channels.push import mark_listings_dirty, push_key, push_quantity, request_push
from channels.webhooks import request_inbox_run
from inventory_sync.leases import Held, exclusive
from inventory_sync.models import Item, Order
from inventory_sync.queueing import claim_run, request_run
from inventory_sync.services.orders import OrderRejected, order_apply_snapshot

logger = logging.getLogger(__name__)

MAX_PAGES = 500
# Re-read a little before the cursor: a platform's updated_at is not a commit order.
CATCHUP_OVERLAP = timedelta(minutes=2)
CATCHUP_FIRST_LOOKBACK = timedelta(days=1)


# ------------------------------------------------------------------------------------------
# Orders catch-up


@dataclass
class CatchupSummary:
    pages: int = 0
    orders: int = 0
    applied: int = 0
    stale: int = 0
    rejected: list[str] = field(default_factory=list)


def catch_up_orders(connection_id: int, *, adapter: ChannelAdapter | None = None) -> CatchupSummary:
    """Read orders updated since the cursor (what webhooks missed: WooCommerce never retries a
    failed delivery) and apply them; snapshots already applied change nothing."""
    claim_run(f"catchup:{connection_id}")
    with exclusive(f"catchup:{connection_id}", ttl=300) as held:
        if held is None:
            return CatchupSummary()  # one is running; it reads up to now
        return _catch_up(connection_id, adapter)


def _catch_up(connection_id: int, adapter: ChannelAdapter | None) -> CatchupSummary:
    connection = Connection.objects.get(pk=connection_id)
    summary = CatchupSummary()
    if connection.role != ConnectionRole.CHANNEL or connection.status != ConnectionStatus.ACTIVE:
        return summary
    adapter = adapter or channel_adapter(connection)
    started = timezone.now()
    since = (
        (connection.orders_cursor - CATCHUP_OVERLAP)
        if connection.orders_cursor
        else started - CATCHUP_FIRST_LOOKBACK
    )
    newest = connection.orders_cursor
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        page = adapter.fetch_orders(updated_since=since, cursor=cursor)
        summary.pages += 1
        for snapshot in page.items:
            summary.orders += 1
            try:
                result = order_apply_snapshot(
                    connection=connection, snapshot=snapshot, source="orders catch-up"
                )
            except OrderRejected as exc:
                summary.rejected.append(str(exc))
                continue
            summary.stale += result.stale
            summary.applied += not result.stale
            if newest is None or snapshot.updated_at > newest:
                newest = snapshot.updated_at
        cursor = page.next_cursor
        if cursor is None:
            break
    Connection.objects.filter(pk=connection.pk).update(
        orders_cursor=newest or started, last_success_at=timezone.now(), last_catchup_at=started
    )
    if summary.rejected:
        activity_record(
            merchant_id=connection.merchant_id,
            connection=connection,
            kind=ActivityKind.ORDERS_CATCHUP,
            outcome=Outcome.ERROR,
            summary=f"{len(summary.rejected)} order(s) from {connection.name} could not be taken in",
            payload="\n".join(summary.rejected),
        )
    if summary.applied:
        activity_record(
            merchant_id=connection.merchant_id,
            connection=connection,
            kind=ActivityKind.ORDERS_CATCHUP,
            summary=(
                f"Catch-up read {summary.orders} order(s) from {connection.name}; "
                f"{summary.applied} were new or changed"
            ),
            details={"pages": summary.pages, "orders": summary.orders, "applied": summary.applied},
        )
    return summary


# ------------------------------------------------------------------------------------------
# Reconcile


@dataclass(frozen=True)
class DriftRow:
    listing_id: int
    sku: str
    channel_quantity: int
    expected_quantity: int | None  # what the hub believed the channel shows
    hub_quantity: int  # what the hub wants the channel to show


def reconcile_connection(connection_id: int, *, adapter: ChannelAdapter | None = None) -> list[DriftRow]:
    """Compare every tracked, matched listing's channel quantity with the hub's. A listing whose
    channel quantity is not what the hub last knew has drifted (a manual edit, a sale not seen):
    by the connection's policy it is overwritten (hub wins) or flagged for review."""
    claim_run(f"reconcile:{connection_id}")
    # Not while a push runs: its writes would look like drift half-way through.
    # Holds the push lease too: a push's writes would look like drift half-way through. Both
    # are short leases, refreshed per chunk, so a killed reconcile never blocks pushes for long.
    with exclusive(f"reconcile:{connection_id}") as held, exclusive(push_key(connection_id)) as pushing:
        if held is None or pushing is None:
            return []
        return _reconcile(connection_id, adapter, leases=(held, pushing))


def _reconcile(
    connection_id: int, adapter: ChannelAdapter | None, leases: tuple[Held, ...]
) -> list[DriftRow]:
    """Every listing whose channel quantity is not the hub's: drifted (not what the hub last
    knew) or left behind (a drift a push did not overwrite). Returns them all."""
    connection = Connection.objects.get(pk=connection_id)
    if not connection.sync_inventory or connection.status != ConnectionStatus.ACTIVE:
        return []
    adapter = adapter or channel_adapter(connection)
    started = timezone.now()
    listings = list(
        Listing.objects.filter(connection=connection, tracked=True, item__isnull=False, push_pending=False)
        .order_by("pk")
        .values("pk", "external_id", "sku", "item_id", "last_seen_qty")
    )
    available = dict(
        Item.objects.filter(pk__in={row["item_id"] for row in listings}).values_list("pk", "available")
    )
    found: list[DriftRow] = []
    chunk_size = 250
    for start in range(0, len(listings), chunk_size):
        for lease in leases:
            lease.refresh()
        chunk = listings[start : start + chunk_size]
        observed = adapter.read_quantities([row["external_id"] for row in chunk])
        for row in chunk:
            quantity = observed.get(row["external_id"])
            if quantity is None:
                continue
            hub = push_quantity(available=available[row["item_id"]], connection=connection)
            if quantity != row["last_seen_qty"] or quantity != hub:
                found.append(DriftRow(row["pk"], row["sku"], quantity, row["last_seen_qty"], hub))
    now = timezone.now()
    for drifted in found:
        fields: dict[str, object] = {"last_seen_qty": drifted.channel_quantity, "last_seen_at": now}
        if connection.drift_policy == DriftPolicy.FLAG:
            fields.update(
                drift_qty=drifted.channel_quantity, drift_detected_at=now, last_push_outcome="drift"
            )
        Listing.objects.filter(pk=drifted.listing_id).update(**fields)
    repaired: list[int] = []
    if found and connection.drift_policy == DriftPolicy.HUB_WINS:
        # Lowering is always safe; raising a channel that shows less than the hub would put back
        # on sale units it may have sold in orders the hub has not seen yet, so that waits until
        # the channel is quiet (no unprocessed webhooks, no order change in the last minutes).
        quiet = _is_quiet(connection)
        repaired = [r.listing_id for r in found if quiet or r.channel_quantity > r.hub_quantity]
        if repaired:
            mark_listings_dirty(connection=connection, listing_ids=repaired)
    Connection.objects.filter(pk=connection.pk).update(
        last_reconcile_at=started, last_success_at=timezone.now()
    )
    if found:
        if connection.drift_policy == DriftPolicy.FLAG:
            action = "flagged for review"
        else:
            action = f"{len(repaired)} being overwritten with the hub's quantity"
            if len(repaired) < len(found):
                action += f", {len(found) - len(repaired)} left until the channel is quiet"
        activity_record(
            merchant_id=connection.merchant_id,
            connection=connection,
            kind=ActivityKind.RECONCILE,
            outcome=Outcome.WARNING,
            summary=f"{len(found)} listing(s) on {connection.name} differ from the hub: {action}",
            details={
                "drift": [
                    {
                        "listing": r.listing_id,
                        "sku": r.sku,
                        "channel": r.channel_quantity,
                        "expected": r.expected_quantity,
                        "hub": r.hub_quantity,
                    }
                    for r in found[:500]
                ]
            },
        )
    return found


QUIET_FOR = timedelta(minutes=2)


def _is_quiet(connection: Connection) -> bool:
    if WebhookEvent.objects.filter(connection=connection, status=EventStatus.PENDING).exists():
        return False
    return not Order.objects.filter(
        connection=connection, channel_updated_at__gte=timezone.now() - QUIET_FOR
    ).exists()


# ------------------------------------------------------------------------------------------
# Master CDC


def master_cdc(connection_id: int) -> None:
    claim_run(f"cdc:{connection_id}")
    with exclusive(f"cdc:{connection_id}", ttl=300) as held:
        if held is not None:
            _master_cdc(connection_id)


def request_master_refresh() -> None:
    """Ask for a CDC run of every active master (at worker start)."""
    for connection_id in Connection.objects.filter(
        role=ConnectionRole.MASTER, status=ConnectionStatus.ACTIVE
    ).values_list("pk", flat=True):
        request_run("channels.tasks.master_cdc", connection_id, queue="sync", key=f"cdc:{connection_id}")


def _master_cdc(connection_id: int) -> None:
    connection = Connection.objects.get(pk=connection_id)
    if connection.role != ConnectionRole.MASTER or connection.status != ConnectionStatus.ACTIVE:
        return
    started = timezone.now()
    run_master_cdc(connection=connection)
    Connection.objects.filter(pk=connection.pk).update(last_cdc_at=started)


# ------------------------------------------------------------------------------------------
# The tick: what is due, and the sweeper


def _due(last_run: datetime | None, minutes: int, now: datetime) -> bool:
    return last_run is None or now - last_run >= timedelta(minutes=minutes)


def tick() -> dict[str, int]:
    """Every 30 s: ask for the runs that are due and re-wake work whose wake-up was lost."""
    now = timezone.now()
    sweep_after = timedelta(seconds=settings.SWEEP_AFTER_SECONDS)
    asked = {"catchup": 0, "reconcile": 0, "cdc": 0, "postings": 0, "inbox": 0, "push": 0}
    for connection in Connection.objects.filter(status=ConnectionStatus.ACTIVE):
        if connection.role == ConnectionRole.CHANNEL:
            if _due(connection.last_catchup_at, connection.catchup_minutes, now):
                request_run(
                    "channels.tasks.catch_up_orders",
                    connection.pk,
                    queue="sync",
                    key=f"catchup:{connection.pk}",
                )
                asked["catchup"] += 1
            if connection.posting_mode != PostingMode.NONE and _due(
                connection.last_postings_at, connection.postings_minutes, now
            ):
                request_run(
                    "inventory_sync.tasks.postings_for_connection",
                    connection.pk,
                    queue="postings",
                    key=f"postings:{connection.pk}",
                )
                asked["postings"] += 1
            if connection.sync_inventory and _due(
                connection.last_reconcile_at, connection.reconcile_minutes, now
            ):
                request_run(
                    "channels.tasks.reconcile", connection.pk, queue="sync", key=f"reconcile:{connection.pk}"
                )
                asked["reconcile"] += 1
        elif _due(connection.last_cdc_at, settings.MASTER_CDC_MINUTES, now):
            request_run("channels.tasks.master_cdc", connection.pk, queue="sync", key=f"cdc:{connection.pk}")
            asked["cdc"] += 1
    for connection_id in (
        WebhookEvent.objects.filter(status=EventStatus.PENDING, received_at__lt=now - sweep_after)
        .values_list("connection_id", flat=True)
        .distinct()
    ):
        request_inbox_run(connection_id)
        asked["inbox"] += 1
    stale_pushes = (
        Listing.objects.filter(push_pending=True)
        .values("connection_id")
        .annotate(oldest=Min("dirty_since"))
        .filter(oldest__lt=now - sweep_after)
    )
    for row in stale_pushes:
        request_push(row["connection_id"])
        asked["push"] += 1
    return asked
