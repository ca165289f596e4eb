"""inventorySetQuantities and inventoryAdjustQuantities: validation, compare-and-swap, and the
adjustment group they record. All-or-nothing: one user error and nothing is applied.

Messages and codes follow recorded Shopify answers. Setting `available` or `on_hand` both move
`available` (on_hand is derived), and the group lists every `available` change first, then every
`on_hand` change, as Shopify does. When nothing changes, Shopify returns a null group and no
errors; so does this sandbox.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import ids
from .store import ON_HAND_PARTS, AdjustmentGroup, Change, Level, ShopifyStore

REASONS = frozenset(
    {
        "correction",
        "cycle_count_available",
        "damaged",
        "movement_canceled",
        "movement_created",
        "movement_received",
        "movement_updated",
        "other",
        "promotion",
        "quality_control",
        "received",
        "reservation_created",
        "reservation_deleted",
        "reservation_updated",
        "restock",
        "safety_stock",
        "shrinkage",
    }
)
ADJUSTABLE = frozenset(
    {"available", "damaged", "incoming", "on_hand", "quality_control", "reserved", "safety_stock"}
)
LIMIT = 1_000_000_000
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")

MESSAGES = {
    "INVALID_INVENTORY_ITEM": "The specified inventory item could not be found.",
    "INVALID_LOCATION": "The specified location could not be found.",
    "ITEM_NOT_STOCKED_AT_LOCATION": "The specified inventory item is not stocked at the location.",
    "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR": (
        "The combination of inventoryItemId and locationId must be unique."
    ),
    "INVALID_QUANTITY_NEGATIVE": "The quantity can't be negative.",
    "INVALID_QUANTITY_TOO_HIGH": "The quantity can't be higher than 1,000,000,000.",
    "INVALID_QUANTITY_TOO_LOW": "The quantity can't be lower than -1,000,000,000.",
    "INVALID_REASON": "The specified reason is invalid.",
    "INVALID_REFERENCE_DOCUMENT": "The specified reference document is invalid.",
    "INVALID_NAME": "The quantity name must be either 'available' or 'on_hand'.",
    "INVALID_QUANTITY_NAME": "The specified quantity name is invalid.",
    "COMPARE_QUANTITY_REQUIRED": (
        "The compareQuantity argument must be given to each quantity or ignored using ignoreCompareQuantity."
    ),
    "COMPARE_QUANTITY_STALE": "The compareQuantity argument no longer matches the persisted quantity.",
    "CHANGE_FROM_QUANTITY_STALE": "The changeFromQuantity argument no longer matches the persisted quantity.",
    "INVALID_AVAILABLE_DOCUMENT": "A ledger document URI is not allowed when adjusting available.",
    "INVALID_QUANTITY_DOCUMENT": "A ledger document URI is required except when adjusting available.",
}


def user_error(code: str, *path: str | int) -> dict[str, Any]:
    return {"field": [str(p) for p in path], "message": MESSAGES[code], "code": code}


@dataclass
class Outcome:
    group: AdjustmentGroup | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    changed: list[Level] = field(default_factory=list)


def _common_errors(input: dict[str, Any]) -> list[dict[str, Any]]:
    if input["reason"] not in REASONS:
        return [user_error("INVALID_REASON", "input", "reason")]
    uri = input.get("referenceDocumentUri")
    if uri is not None and not _URI.match(uri):
        return [user_error("INVALID_REFERENCE_DOCUMENT", "input", "referenceDocumentUri")]
    return []


def _locate(
    store: ShopifyStore, row: dict[str, Any], path: tuple[str | int, ...], errors: list[dict[str, Any]]
) -> Level | None:
    item_id = ids.parse_kind(row["inventoryItemId"], "InventoryItem")
    location_id = ids.parse_kind(row["locationId"], "Location")
    item_ok = item_id is not None and item_id in store.items
    location_ok = location_id is not None and location_id in store.locations
    if not item_ok:
        errors.append(user_error("INVALID_INVENTORY_ITEM", *path, "inventoryItemId"))
    if not location_ok:
        errors.append(user_error("INVALID_LOCATION", *path, "locationId"))
    if not (item_ok and location_ok):
        return None
    level = store.levels.get((item_id or 0, location_id or 0))
    if level is None:
        errors.append(user_error("ITEM_NOT_STOCKED_AT_LOCATION", *path, "locationId"))
    return level


def _stale(row: dict[str, Any], current: int, era: str, path: tuple[str | int, ...]) -> dict[str, Any] | None:
    """The compare-and-swap check of one row; legacy rows are checked by the caller."""
    if era != "legacy" and "changeFromQuantity" in row:
        expected = row["changeFromQuantity"]
        if expected is not None and expected != current:
            return user_error("CHANGE_FROM_QUANTITY_STALE", *path, "changeFromQuantity")
    return None


def _apply(store: ShopifyStore, level: Level, name: str, delta: int, now: datetime) -> list[Change]:
    """Move `name` by `delta`; on_hand follows its parts (setting on_hand moves available)."""
    target = "available" if name == "on_hand" else name
    level.quantities[target] = level.quantities.get(target, 0) + delta
    level.updated_at = now
    store.touch_item(level.item_id, now)
    changes = [Change(target, delta, level.item_id, level.location_id)]
    if target in ON_HAND_PARTS:
        changes.append(Change("on_hand", delta, level.item_id, level.location_id))
    return changes


def _record(
    store: ShopifyStore, input: dict[str, Any], changes: list[Change], now: datetime
) -> AdjustmentGroup | None:
    changes = [c for c in changes if c.delta != 0]
    if not changes:
        return None
    names = dict.fromkeys([c.name for c in changes if c.name != "on_hand"] + ["on_hand"])
    order = {name: i for i, name in enumerate(names)}
    changes.sort(key=lambda c: order[c.name])  # stable: keeps input order within one name
    group = AdjustmentGroup(
        store.next_id("adjustment_group"), now, input["reason"], input.get("referenceDocumentUri"), changes
    )
    store.groups[group.id] = group
    return group


def set_quantities(store: ShopifyStore, input: dict[str, Any], *, era: str, now: datetime) -> Outcome:
    name = input["name"]
    if name not in ("available", "on_hand"):
        return Outcome(errors=[user_error("INVALID_NAME", "input", "name")])
    errors = _common_errors(input)
    if errors:
        return Outcome(errors=errors)
    rows = input["quantities"]
    ignore = bool(input.get("ignoreCompareQuantity"))
    if era != "modern" and not ignore:
        given = [r.get("compareQuantity") is not None or "changeFromQuantity" in r for r in rows]
        if not all(given):
            return Outcome(errors=[user_error("COMPARE_QUANTITY_REQUIRED", "input", "ignoreCompareQuantity")])
    seen: set[tuple[int, int]] = set()
    plan: list[tuple[Level, int]] = []
    for index, row in enumerate(rows):
        path = ("input", "quantities", index)
        level = _locate(store, row, path, errors)
        quantity = row["quantity"]
        if quantity > LIMIT:
            errors.append(user_error("INVALID_QUANTITY_TOO_HIGH", *path, "quantity"))
        elif quantity < -LIMIT:
            errors.append(user_error("INVALID_QUANTITY_TOO_LOW", *path, "quantity"))
        elif name == "on_hand" and quantity < 0:
            errors.append(user_error("INVALID_QUANTITY_NEGATIVE", *path, "quantity"))
        if level is None:
            continue
        pair = (level.item_id, level.location_id)
        if pair in seen:
            errors.append(user_error("NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR", *path))
            continue
        seen.add(pair)
        current = level.get(name)
        stale = _stale(row, current, era, path)
        legacy_compare = era != "modern" and not ignore and "changeFromQuantity" not in row
        if stale is None and legacy_compare and row.get("compareQuantity") != current:
            stale = user_error("COMPARE_QUANTITY_STALE", *path, "compareQuantity")
        if stale:
            errors.append(stale)
        plan.append((level, quantity - current))
    if errors:
        return Outcome(errors=errors)
    changes: list[Change] = []
    for level, delta in plan:
        if delta:
            changes.extend(_apply(store, level, name, delta, now))
    group = _record(store, input, changes, now)
    return Outcome(group=group, changed=[lvl for lvl, delta in plan if delta])


def adjust_quantities(store: ShopifyStore, input: dict[str, Any], *, era: str, now: datetime) -> Outcome:
    name = input["name"]
    if name not in ADJUSTABLE:
        return Outcome(errors=[user_error("INVALID_QUANTITY_NAME", "input", "name")])
    errors = _common_errors(input)
    if errors:
        return Outcome(errors=errors)
    plan: list[tuple[Level, int, str | None]] = []
    for index, row in enumerate(input["changes"]):
        path = ("input", "changes", index)
        ledger = row.get("ledgerDocumentUri")
        if name == "available" and ledger is not None:
            errors.append(user_error("INVALID_AVAILABLE_DOCUMENT", *path, "ledgerDocumentUri"))
        elif name != "available" and ledger is None:
            errors.append(user_error("INVALID_QUANTITY_DOCUMENT", *path, "ledgerDocumentUri"))
        level = _locate(store, row, path, errors)
        if level is None:
            continue
        current = level.get(name)
        after = current + row["delta"]
        if after > LIMIT:
            errors.append(user_error("INVALID_QUANTITY_TOO_HIGH", *path, "delta"))
        elif after < -LIMIT:
            errors.append(user_error("INVALID_QUANTITY_TOO_LOW", *path, "delta"))
        stale = _stale(row, current, era, path)
        if stale:
            errors.append(stale)
        plan.append((level, row["delta"], ledger))
    if errors:
        return Outcome(errors=errors)
    changes: list[Change] = []
    for level, delta, ledger in plan:
        if delta:
            applied = _apply(store, level, name, delta, now)
            applied[0].ledger_document_uri = ledger
            changes.extend(applied)
    group = _record(store, input, changes, now)
    return Outcome(group=group, changed=[lvl for lvl, delta, _ in plan if delta])


def move_available(
    store: ShopifyStore, level: Level, *, available: int, committed: int, now: datetime
) -> None:
    """An order-driven move between available and committed (sales, cancels, restocks)."""
    level.quantities["available"] = level.quantities.get("available", 0) + available
    level.quantities["committed"] = level.quantities.get("committed", 0) + committed
    level.updated_at = now
    store.touch_item(level.item_id, now)
