"""Keeping the hub's items equal to the master's: catalogue fields and quantities on hand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from channels.adapters.base import ExternalItem, ItemKind
from inventory_sync.models import Item, ItemType, Merchant, normalize_code
from inventory_sync.services.stock import MasterReading, apply_master_readings

_TYPES = {
    ItemKind.INVENTORY: ItemType.INVENTORY,
    ItemKind.NON_INVENTORY: ItemType.NON_INVENTORY,
    ItemKind.SERVICE: ItemType.SERVICE,
}
CATALOGUE_FIELDS = (
    "name",
    "description",
    "sku",
    "barcode",
    "type",
    "cost",
    "sales_price",
    "preferred_vendor",
    "reorder_point",
    "tracked",
    "active",
)


@dataclass
class UpsertResult:
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (master id or name, reason)
    readings_applied: list[int] = field(default_factory=list)


def _catalogue_values(external: ExternalItem) -> dict[str, object]:
    return {
        "name": external.name[:100],
        "description": external.description,
        "sku": external.sku[:100],
        "barcode": external.barcode[:64],
        "type": _TYPES[external.kind],
        "cost": external.cost,
        "sales_price": external.sales_price,
        "preferred_vendor": external.preferred_vendor[:200],
        "reorder_point": external.reorder_point,
        "tracked": external.tracked,
        "active": external.active,
    }


def _same(current: object, new: object) -> bool:
    if isinstance(current, Decimal) or isinstance(new, Decimal):
        return (current is None and new is None) or (
            current is not None and new is not None and Decimal(str(current)) == Decimal(str(new))
        )
    return current == new


def items_upsert_from_master(
    *, merchant: Merchant | int, externals: Sequence[ExternalItem], source: str
) -> UpsertResult:
    """Create or update items from master records (keyed by the master id), then apply their
    quantities on hand as master readings (older readings than the stored one are ignored).
    Idempotent: re-running with the same records changes nothing."""
    merchant_id = merchant if isinstance(merchant, int) else merchant.pk
    result = UpsertResult()
    readings = []
    wanted = []
    before: dict[int, Decimal] = {}
    for external in externals:
        if external.kind not in _TYPES:
            result.skipped.append(
                (
                    external.external_id,
                    f"{external.name}: a group or category in the master holds no stock of its own, "
                    "so it is not imported (its component items are)",
                )
            )
            continue
        if not external.name:
            result.skipped.append((external.external_id, "the master item has no name"))
            continue
        wanted.append(external)
    with transaction.atomic():
        existing = {
            item.master_id: item
            for item in Item.objects.for_merchant(merchant_id).filter(
                master_id__in=[e.external_id for e in wanted]
            )
        }
        fresh: list[Item] = []
        changed_items: list[Item] = []
        for external in wanted:
            values = _catalogue_values(external)
            item = existing.get(external.external_id)
            if item is None:
                item = Item(merchant_id=merchant_id, master_id=external.external_id, **values)
                item.sku_normalized, item.barcode_normalized = (
                    normalize_code(item.sku),
                    normalize_code(item.barcode),
                )
                existing[external.external_id] = item
                fresh.append(item)
                continue
            changed = [name for name, value in values.items() if not _same(getattr(item, name), value)]
            if changed:
                for name in changed:
                    setattr(item, name, values[name])
                item.sku_normalized, item.barcode_normalized = (
                    normalize_code(item.sku),
                    normalize_code(item.barcode),
                )
                changed_items.append(item)
                result.updated.append(item.pk)
            else:
                result.unchanged.append(item.pk)
        # One INSERT for the new items of a page and one UPDATE for the changed ones.
        if fresh:
            Item.objects.bulk_create(fresh)
            result.created += [item.pk for item in fresh]
        if changed_items:
            now = timezone.now()
            for item in changed_items:
                item.updated_at = now
            Item.objects.bulk_update(
                changed_items, [*CATALOGUE_FIELDS, "sku_normalized", "barcode_normalized", "updated_at"]
            )
        for external in wanted:
            item = existing[external.external_id]
            before[item.pk] = item.master_on_hand
            if external.kind == ItemKind.INVENTORY and external.tracked and external.qty_on_hand is not None:
                readings.append(
                    MasterReading(
                        item.pk, Decimal(external.qty_on_hand), external.updated_at, external.sync_token
                    )
                )
        if readings:
            result.readings_applied = apply_master_readings(
                merchant=merchant_id, readings=readings, source=source
            )
    # A quantity that moved on an item otherwise unchanged still counts as an update.
    moved = {
        r.item_id
        for r in readings
        if r.item_id in set(result.readings_applied) and r.qty_on_hand != before[r.item_id]
    }
    for item_id in moved - set(result.created) - set(result.updated):
        if item_id in result.unchanged:
            result.unchanged.remove(item_id)
            result.updated.append(item_id)
    return result
