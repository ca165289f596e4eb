"""The channels' products and variants as listings, matched to items by product code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from channels.adapters.base import ExternalListing
from channels.models import Connection, Listing, ProductCodeType
from inventory_sync.models import normalize_code
from mapping.services import resolve_codes

SNAPSHOT_FIELDS = (
    "external_product_id",
    "inventory_item_id",
    "location_id",
    "sku",
    "barcode",
    "title",
    "tracked",
)


@dataclass
class ListingsResult:
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    matched: list[int] = field(default_factory=list)  # newly linked to an item
    unmatched_codes: list[str] = field(default_factory=list)


def listing_code(connection: Connection, external: ExternalListing) -> str:
    code = external.barcode if connection.product_code_type == ProductCodeType.BARCODE else external.sku
    return normalize_code(code)[:128]


def listings_upsert(*, connection: Connection, externals: Sequence[ExternalListing]) -> ListingsResult:
    """Create or update listings by their channel id and link each to its item where the code is
    matched (or equals exactly one item's code). Re-running with the same snapshots changes
    nothing. The channel's quantity becomes the listing's last seen quantity."""
    result = ListingsResult()
    if not externals:
        return result
    now = timezone.now()
    with transaction.atomic():
        existing = {
            listing.external_id: listing
            for listing in Listing.objects.select_for_update().filter(
                connection=connection, external_id__in=[e.external_id for e in externals]
            )
        }
        codes = {listing_code(connection, e) for e in externals}
        resolved = resolve_codes(connection=connection, codes=codes)
        for external in externals:
            code = listing_code(connection, external)
            values = {
                "external_product_id": external.external_product_id[:64],
                "inventory_item_id": external.inventory_item_id[:128],
                "location_id": (external.location_id or connection.location_id)[:128],
                "sku": external.sku[:128],
                "barcode": external.barcode[:64],
                "title": external.title[:255],
                "tracked": external.tracked,
                "code_normalized": code,
            }
            item_id = resolved.get(code)
            listing = existing.get(external.external_id)
            if listing is None:
                listing = Listing.objects.create(
                    merchant_id=connection.merchant_id,
                    connection=connection,
                    external_id=external.external_id,
                    item_id=item_id,
                    last_seen_qty=external.quantity,
                    last_seen_at=(external.updated_at or now) if external.quantity is not None else None,
                    **values,
                )
                result.created.append(listing.pk)
                if item_id:
                    result.matched.append(listing.pk)
            else:
                changed = [name for name, value in values.items() if getattr(listing, name) != value]
                if item_id and listing.item_id != item_id:
                    changed.append("item")
                    listing.item_id = item_id
                    result.matched.append(listing.pk)
                for name in changed:
                    if name != "item":
                        setattr(listing, name, values[name])
                # A snapshot read (or delivered) before the hub's latest knowledge of the
                # channel's quantity must not overwrite it: webhooks arrive late and out of order.
                seen_at = external.updated_at or now
                newer = listing.last_seen_at is None or seen_at > listing.last_seen_at
                if external.quantity is not None and newer and listing.last_seen_qty != external.quantity:
                    listing.last_seen_qty = external.quantity
                    listing.last_seen_at = seen_at
                    changed += ["last_seen_qty", "last_seen_at"]
                if changed:
                    listing.save(update_fields=[*changed, "updated_at"])
                    result.updated.append(listing.pk)
                else:
                    result.unchanged.append(listing.pk)
            if not item_id and code:
                result.unmatched_codes.append(code)
        if result.matched and connection.sync_inventory:
            # A newly matched product is pushed at once, never "the next day".
            from channels.push import mark_listings_dirty

            mark_listings_dirty(connection=connection, listing_ids=result.matched)
    return result
