"""Matching channel product codes to master items, and the staging area's way out.

A line whose code (SKU or barcode, per connection, compared after `normalize_code`) has a
matching, or equals exactly one item's code, goes live and reserves at once. Any other line waits
in the staging area, counting nowhere, until staff add a matching; then every waiting line of
those codes moves to live in one transaction and the item's channels are pushed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction

from channels.models import Connection, Listing, ProductCodeType
from inventory_sync.models import Item, LineState, OrderLine, OrderStatus, normalize_code
from inventory_sync.services import stock
from mapping.models import Matching, MatchingSource

logger = logging.getLogger(__name__)


class MatchingError(Exception):
    """A matching could not be added or removed; nothing was written."""


@dataclass(frozen=True)
class MatchingOutcome:
    codes: tuple[str, ...]
    item_id: int
    lines_moved: int
    units_moved: int
    listings_matched: int
    channels_to_push: tuple[str, ...] = field(default=())


def _item_code_field(connection: Connection) -> str:
    return (
        "barcode_normalized" if connection.product_code_type == ProductCodeType.BARCODE else "sku_normalized"
    )


def resolve_codes(*, connection: Connection, codes: Iterable[str]) -> dict[str, int | None]:
    """Normalised code -> matched item id (or None: stage it). Creates the automatic matching
    when a code equals exactly one active item's code; ambiguous codes wait for staff."""
    wanted = {code for code in codes if code}
    if not wanted:
        return {}
    resolved: dict[str, int | None] = dict(
        Matching.objects.filter(connection=connection, code_normalized__in=wanted).values_list(
            "code_normalized", "item_id"
        )
    )
    missing = wanted - set(resolved)
    if missing:
        field_name = _item_code_field(connection)
        candidates: dict[str, list[int]] = {}
        for item_id, code in (
            Item.objects.for_merchant(connection.merchant_id)
            .filter(active=True, **{f"{field_name}__in": missing})
            .values_list("pk", field_name)
        ):
            candidates.setdefault(code, []).append(item_id)
        for code in missing:
            ids = candidates.get(code, [])
            if len(ids) == 1:
                resolved[code] = _matching_get_or_create(
                    connection, code, ids[0], MatchingSource.EXACT
                ).item_id
            else:
                resolved[code] = None
    return resolved


def _matching_get_or_create(
    connection: Connection, code: str, item_id: int, source: str, user: Any = None
) -> Matching:
    try:
        with transaction.atomic():
            return Matching.objects.create(
                merchant_id=connection.merchant_id,
                connection=connection,
                code=code,
                code_normalized=code,
                item_id=item_id,
                source=source,
                created_by=user,
            )
    except IntegrityError:
        # Another worker matched the same code first: use theirs.
        return Matching.objects.get(connection=connection, code_normalized=code)


def add_matching(
    *, connection: Connection, codes: Sequence[str], item: Item, user: Any = None
) -> MatchingOutcome:
    """Match `codes` of `connection` to `item`, and move every waiting line of those codes to
    live in one transaction. Refuses a code already matched to another item."""
    if item.merchant_id != connection.merchant_id:
        raise MatchingError("the item belongs to another merchant")
    normalized = sorted({normalize_code(code) for code in codes if normalize_code(code)})
    if not normalized:
        raise MatchingError("choose at least one product code")
    if not item.active:
        raise MatchingError(f"item {item} is inactive in the master")
    with transaction.atomic():
        taken = Matching.objects.filter(connection=connection, code_normalized__in=normalized).exclude(
            item=item
        )
        conflicts = [f"{m.code} -> {m.item}" for m in taken.select_related("item")]
        if conflicts:
            raise MatchingError(
                "already matched to another item: " + ", ".join(conflicts) + " (unmatch first)"
            )
        originals = dict(
            OrderLine.objects.filter(connection=connection, code_normalized__in=normalized)
            .values_list("code_normalized", "product_code")
            .distinct()
        )
        for code in normalized:
            if not Matching.objects.filter(connection=connection, code_normalized=code).exists():
                Matching.objects.create(
                    merchant_id=connection.merchant_id,
                    connection=connection,
                    code=originals.get(code, code),
                    code_normalized=code,
                    item=item,
                    source=MatchingSource.STAFF,
                    created_by=user,
                )
        waiting = list(
            OrderLine.objects.select_for_update()
            .filter(
                connection=connection,
                code_normalized__in=normalized,
                state=LineState.STAGED,
                order__status__in=[OrderStatus.OPEN, OrderStatus.FULFILLED],
            )
            .order_by("pk")
        )
        reservable = [line for line in waiting if line.open_quantity > 0]
        OrderLine.objects.filter(pk__in=[line.pk for line in waiting]).update(item=item)
        for line in waiting:
            line.item = item
        if reservable:
            stock.reserve_lines(lines=reservable, source=f"matching by {user or 'system'}")
        listings = Listing.objects.filter(connection=connection, code_normalized__in=normalized)
        listings_matched = listings.update(item=item)
        _mark_listings_of_item_dirty(item)
    channels = tuple(
        Connection.objects.filter(listings__item=item, sync_inventory=True)
        .distinct()
        .values_list("name", flat=True)
    )
    logger.info(
        "matching added",
        extra={"connection": connection.pk, "codes": normalized, "item": item.pk, "lines": len(waiting)},
    )
    return MatchingOutcome(
        codes=tuple(normalized),
        item_id=item.pk,
        lines_moved=len(reservable),
        units_moved=sum(line.open_quantity for line in reservable),
        listings_matched=listings_matched,
        channels_to_push=channels,
    )


def remove_matching(*, matching: Matching, user: Any = None) -> int:
    """Undo a wrong matching: its live, unposted lines go back to the staging area (their
    reservations released) and its listings are unlinked. Returns the lines sent back."""
    with transaction.atomic():
        matching = Matching.objects.select_for_update().get(pk=matching.pk)
        lines = list(
            OrderLine.objects.select_for_update()
            .filter(connection_id=matching.connection_id, code_normalized=matching.code_normalized)
            .filter(state__in=[LineState.LIVE, LineState.STAGED])
            .order_by("pk")
        )
        live = [line for line in lines if line.state == LineState.LIVE]
        if live:
            stock.release_lines(lines=live, reason="unmatched", source=f"unmatched by {user or 'system'}")
        OrderLine.objects.filter(pk__in=[line.pk for line in lines]).update(item=None, state=LineState.STAGED)
        Listing.objects.filter(
            connection_id=matching.connection_id, code_normalized=matching.code_normalized
        ).update(item=None)
        item_id = matching.item_id
        matching.delete()
    logger.info("matching removed", extra={"matching": matching.pk, "item": item_id, "lines": len(live)})
    return len(live)


def accept_exact_suggestions(*, connection: Connection, user: Any = None) -> list[MatchingOutcome]:
    """Add every staged code of the connection whose best suggestion is a unique loose-exact
    match (same letters and digits, e.g. 'BIN LID 004' for 'BIN-LID-004')."""
    outcomes = []
    staged_codes = (
        OrderLine.objects.filter(connection=connection, state=LineState.STAGED)
        .values_list("code_normalized", flat=True)
        .distinct()
    )
    for code in staged_codes:
        exact = [s for s in suggest_items(connection=connection, code=code, limit=2) if s.exact]
        if len(exact) == 1:
            item = Item.objects.get(pk=exact[0].item_id)
            outcomes.append(add_matching(connection=connection, codes=[code], item=item, user=user))
    return outcomes


def _mark_listings_of_item_dirty(item: Item) -> None:
    stock.items_changed.send(sender=Item, merchant_id=item.merchant_id, item_ids=frozenset({item.pk}))


# ------------------------------------------------------------------------------------------
# Suggestions


@dataclass(frozen=True)
class Suggestion:
    item_id: int
    sku: str
    name: str
    score: float  # 0..100
    exact: bool  # same letters and digits once punctuation and case are ignored


def _loose(code: str) -> str:
    return "".join(ch for ch in normalize_code(code) if ch.isalnum())


def suggest_items(*, connection: Connection, code: str, limit: int = 5) -> list[Suggestion]:
    """Rank items for an unmatched code: loose equality first (punctuation and case ignored),
    then similarity of the code to SKUs and barcodes (rapidfuzz), ties broken by name."""
    from rapidfuzz import fuzz, process

    target = normalize_code(code)
    if not target:
        return []
    loose_target = _loose(target)
    field_name = _item_code_field(connection)
    rows = list(
        Item.objects.for_merchant(connection.merchant_id)
        .filter(active=True)
        .exclude(**{field_name: ""})
        .values_list("pk", field_name, "sku", "name")
    )
    exact = [
        Suggestion(pk, sku, name, 100.0, True)
        for pk, value, sku, name in rows
        if _loose(value) == loose_target
    ]
    choices = {index: value for index, (_, value, _, _) in enumerate(rows)}
    similar = process.extract(target, choices, scorer=fuzz.ratio, limit=limit + len(exact), score_cutoff=55)
    seen = {s.item_id for s in exact}
    ranked = list(exact)
    for _, score, index in similar:
        pk, _, sku, name = rows[index]
        if pk not in seen:
            ranked.append(Suggestion(pk, sku, name, round(float(score), 1), False))
            seen.add(pk)
    return ranked[:limit]
