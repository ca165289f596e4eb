"""Turning sync on safely: what the next push would change, computed without writing anything.

QuickBooks' own sync warns that "the next sync will override" channel stock; the hub shows
exactly what it would overwrite first: each listing, the channel's quantity now (read live) and
the quantity the hub would write.
"""

from __future__ import annotations

from dataclasses import dataclass

from channels.adapters.base import ChannelAdapter
from channels.connections import channel_adapter
from channels.models import Connection, Listing
from channels.push import push_quantity
from inventory_sync.models import Item


@dataclass(frozen=True)
class PreviewRow:
    listing_id: int
    sku: str
    title: str
    item_id: int
    item_sku: str
    channel_quantity: int | None  # None: the channel did not report it
    new_quantity: int

    @property
    def changes(self) -> bool:
        return self.channel_quantity != self.new_quantity


@dataclass(frozen=True)
class SyncPreview:
    rows: list[PreviewRow]
    unmatched_listings: int
    untracked_listings: int

    @property
    def changing(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.changes]


def preview_sync(*, connection: Connection, adapter: ChannelAdapter | None = None) -> SyncPreview:
    adapter = adapter or channel_adapter(connection)
    listings = list(
        Listing.objects.filter(connection=connection, tracked=True, item__isnull=False)
        .order_by("sku", "pk")
        .values("pk", "external_id", "sku", "title", "item_id")
    )
    items = {
        pk: (sku, available)
        for pk, sku, available in Item.objects.filter(
            pk__in={row["item_id"] for row in listings}
        ).values_list("pk", "sku", "available")
    }
    observed: dict[str, int] = {}
    for start in range(0, len(listings), 250):
        chunk = listings[start : start + 250]
        observed.update(adapter.read_quantities([row["external_id"] for row in chunk]))
    rows = [
        PreviewRow(
            listing_id=row["pk"],
            sku=row["sku"],
            title=row["title"],
            item_id=row["item_id"],
            item_sku=items[row["item_id"]][0],
            channel_quantity=observed.get(row["external_id"]),
            new_quantity=push_quantity(available=items[row["item_id"]][1], connection=connection),
        )
        for row in listings
    ]
    base = Listing.objects.filter(connection=connection)
    return SyncPreview(
        rows=rows,
        unmatched_listings=base.filter(item__isnull=True).count(),
        untracked_listings=base.filter(tracked=False).count(),
    )
