"""Reading the master's items into the hub (webhooks and Change Data Capture)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.utils import timezone

from channels.activity import activity_record
from channels.adapters.base import MasterAdapter
from channels.connections import master_adapter
from channels.models import ActivityKind, Connection
from inventory_sync.services.items import UpsertResult, items_upsert_from_master

# CDC reaches 30 days back at most; a first run starts a little inside that.
CDC_FIRST_LOOKBACK = timedelta(days=29)
# Overlap between runs: a change committed in the master just before the previous run's
# cursor may appear late; reads are versioned, so seeing it twice is harmless.
CDC_OVERLAP = timedelta(minutes=2)


def refresh_master_items(
    *, connection: Connection, adapter: MasterAdapter, external_ids: Sequence[str], source: str
) -> UpsertResult:
    externals = adapter.fetch_items_by_id(list(external_ids))
    return items_upsert_from_master(merchant=connection.merchant_id, externals=externals, source=source)


def run_master_cdc(*, connection: Connection, adapter: MasterAdapter | None = None) -> UpsertResult:
    """Change Data Capture from the stored cursor: changed items, and the items named on changed
    transactions (bills from purchase orders, adjustments, sales posted elsewhere)."""
    adapter = adapter or master_adapter(connection)
    since = (
        (connection.cdc_cursor - CDC_OVERLAP)
        if connection.cdc_cursor
        else timezone.now() - CDC_FIRST_LOOKBACK
    )
    changes = adapter.fetch_changes(since=since)
    result = items_upsert_from_master(merchant=connection.merchant_id, externals=changes.items, source="cdc")
    missing = sorted(changes.affected_item_ids - {item.external_id for item in changes.items})
    if missing:
        extra = refresh_master_items(
            connection=connection, adapter=adapter, external_ids=missing, source="cdc"
        )
        result.created += extra.created
        result.updated += extra.updated
        result.readings_applied += extra.readings_applied
    Connection.objects.filter(pk=connection.pk).update(
        cdc_cursor=changes.cursor, last_success_at=timezone.now()
    )
    if result.created or result.updated:
        activity_record(
            merchant_id=connection.merchant_id,
            connection=connection,
            kind=ActivityKind.MASTER_REFRESH,
            summary=(
                f"Read {len(changes.items) + len(missing)} changed item(s) from {connection.name}: "
                f"{len(result.created)} new, {len(result.updated)} updated"
            ),
            details={
                "created": len(result.created),
                "updated": len(result.updated),
                "since": since.isoformat(),
            },
        )
    return result
