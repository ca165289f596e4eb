"""Writing stock: inventorySetQuantities in chunks of 250 with compare-and-set.

Each quantity carries the hub's last known channel quantity as its compare value
(`changeFromQuantity` from API version 2026-04, `compareQuantity` before; null or
`ignoreCompareQuantity` when the hub does not know). A stale compare makes Shopify refuse the
whole call: the chunk's levels are read, listings whose quantity moved are reported as drift with
what Shopify now holds, and the others are sent once more. From 2026-01 every call carries an
`@idempotent` key, so a retry after an ambiguous failure (timeout, 5xx, lost answer) replays
Shopify's first answer instead of writing again; before 2026-01 the compare value itself stops a
second write, and a retry finding its own quantity already there counts as done, not as drift.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from channels.adapters.base import (
    PermanentChannelError,
    PushOutcome,
    PushResult,
    StockUpdate,
    TransientChannelError,
)

from . import queries
from .client import ShopifyClient
from .nodes import NODES_LIMIT, available, chunks, gid, is_variant_id, level_gid

logger = logging.getLogger(__name__)

PUSH_BATCH_LIMIT = 250  # Shopify's cap on `quantities` per inventorySetQuantities call
# From this version inventorySetQuantities takes `changeFromQuantity` (null opts out of the
# check) and requires `@idempotent`; from KEYED_SINCE the key is accepted but optional.
CHANGE_FROM_SINCE = "2026-04"
KEYED_SINCE = "2026-01"
STALE_CODES = frozenset({"COMPARE_QUANTITY_STALE", "CHANGE_FROM_QUANTITY_STALE"})
_VERSION = re.compile(r"^\d{4}-\d{2}$")


def version_at_least(version: str, other: str) -> bool:
    if version == "unstable":
        return True
    return bool(_VERSION.match(version)) and version >= other


@dataclass
class _Row:
    """One update on its way out, with the ids Shopify wants."""

    position: int
    update: StockUpdate
    item_gid: str
    location_gid: str

    @property
    def level_gid(self) -> str:
        return level_gid(self.location_gid, self.item_gid)


class StockWriter:
    def __init__(
        self, client: ShopifyClient, *, api_version: str, reason: str, location: Callable[[], str]
    ) -> None:
        self.client = client
        self.api_version = api_version
        self.reason = reason
        self.location = location  # the connection's default location gid (looked up lazily)

    def push(self, updates: Sequence[StockUpdate], *, idempotency_key: str) -> list[PushResult]:
        """One PushResult per update, in the order of `updates`."""
        if not updates:
            return []
        results: dict[int, PushResult] = {}
        rows = self._rows(updates, results)
        for attempt in range(2):
            shape = self._mutation_shape()
            try:
                self._push_rows(rows, idempotency_key, shape, results)
                break
            except PermanentChannelError:
                # Asked for a retired version, Shopify answers with another one, whose mutation
                # may have the other shape: learn it from that answer and send once more (only
                # when nothing was written yet, so no chunk goes twice).
                written = any(row.position in results for row in rows)
                if attempt or written or self._mutation_shape() == shape:
                    raise
                logger.warning(
                    "Shopify serves API version %s: sending inventorySetQuantities in its shape",
                    self.client.served_version,
                    extra={"platform": "shopify", "requested": self.api_version},
                )
        return [results[i] for i in range(len(updates))]

    def _mutation_shape(self) -> tuple[bool, bool]:
        """(changeFromQuantity, @idempotent key) for the version that answers, once known."""
        served = self.client.served_version or self.api_version
        return version_at_least(served, CHANGE_FROM_SINCE), version_at_least(served, KEYED_SINCE)

    def _push_rows(
        self, rows: list[_Row], idempotency_key: str, shape: tuple[bool, bool], results: dict[int, PushResult]
    ) -> None:
        change_from, keyed = shape
        if change_from:
            groups = [(rows, False)]
        else:
            # Before 2026-04 "don't compare" is ignoreCompareQuantity, which covers a whole call.
            groups = [
                ([r for r in rows if r.update.compare_quantity is not None], False),
                ([r for r in rows if r.update.compare_quantity is None], True),
            ]
        number = 0
        for group, ignore_compare in groups:
            for chunk in chunks(group, PUSH_BATCH_LIMIT):
                key = f"{idempotency_key}:{number}"
                number += 1
                self._push_chunk(
                    list(chunk),
                    key=key,
                    change_from=change_from,
                    keyed=keyed,
                    ignore_compare=ignore_compare,
                    results=results,
                    resend=True,
                )

    def _rows(self, updates: Sequence[StockUpdate], results: dict[int, PushResult]) -> list[_Row]:
        """Give every update its inventory item and location gids, looking up the items the hub
        does not know yet (a listing stored before its item id was)."""
        default_location = None
        missing = sorted(
            {
                u.listing_external_id
                for u in updates
                if not u.inventory_item_id and is_variant_id(u.listing_external_id)
            }
        )
        items = self._inventory_items(missing) if missing else {}
        rows = []
        for position, update in enumerate(updates):
            item = update.inventory_item_id or items.get(update.listing_external_id, "")
            if not item:
                results[position] = PushResult(
                    update.listing_external_id,
                    PushOutcome.ERROR,
                    message="the variant is no longer on Shopify",
                )
                continue
            location = update.location_id
            if not location:
                default_location = default_location or self.location()
                location = default_location
            rows.append(_Row(position, update, gid("InventoryItem", item), gid("Location", location)))
        return rows

    def _inventory_items(self, listing_ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in chunks(list(listing_ids), NODES_LIMIT):
            data = self.client.graphql(
                queries.VARIANT_ITEMS,
                {"ids": [gid("ProductVariant", i) for i in chunk]},
                operation="VariantItems",
                cost=queries.VARIANT_ITEMS_NODE_COST * len(chunk),
            )
            for listing_id, node in zip(chunk, data.get("nodes") or [], strict=False):
                item = (node or {}).get("inventoryItem") or {}
                if item.get("id"):
                    found[listing_id] = str(item["id"])
        return found

    def _push_chunk(
        self,
        rows: list[_Row],
        *,
        key: str,
        change_from: bool,
        keyed: bool,
        ignore_compare: bool,
        results: dict[int, PushResult],
        resend: bool,
    ) -> None:
        if not rows:
            return
        errors = self._set_quantities(
            rows, key=key, change_from=change_from, keyed=keyed, ignore_compare=ignore_compare
        )
        if not errors:
            for row in rows:
                results[row.position] = PushResult(
                    row.update.listing_external_id, PushOutcome.OK, quantity=row.update.quantity
                )
            return
        by_row: dict[int, list[dict[str, Any]]] = {}
        for error in errors:
            index = self._error_row(error, len(rows))
            if index is None:
                self._raise_call_error(error, errors)
            else:
                by_row.setdefault(index, []).append(error)
        stale = False
        candidates: list[_Row] = []
        for index, row in enumerate(rows):
            codes = {str(e.get("code") or "") for e in by_row.get(index, [])}
            if codes - STALE_CODES:
                message = "; ".join(str(e.get("message") or e.get("code")) for e in by_row[index])
                results[row.position] = PushResult(
                    row.update.listing_external_id, PushOutcome.ERROR, message=message
                )
            else:
                stale = stale or bool(codes)
                candidates.append(row)
        # Without a stale row the call was refused only for the rows marked as errors: nothing was
        # applied, so the others go again as they are.
        again = self._sort_stale(candidates, results, final=not resend) if stale else candidates
        if again and resend:
            logger.info(
                "re-sending %d quantities after a refused call",
                len(again),
                extra={"platform": "shopify", "key": key, "refused": len(rows) - len(again)},
            )
            self._push_chunk(
                again,
                key=f"{key}:again",
                change_from=change_from,
                keyed=keyed,
                ignore_compare=ignore_compare,
                results=results,
                resend=False,
            )
        elif again:
            for row in again:
                results[row.position] = PushResult(
                    row.update.listing_external_id,
                    PushOutcome.ERROR,
                    message="refused twice by Shopify while other listings were being written",
                )

    def _sort_stale(self, rows: list[_Row], results: dict[int, PushResult], *, final: bool) -> list[_Row]:
        """After a stale compare: read what Shopify holds now. A listing whose quantity is still
        the compare value (or that had none) is sent again; one that already shows the target
        (our own earlier write whose answer was lost, or a coincidence) is done; any other
        has drifted. On the final try a listing still at its compare value is reported as drift
        too (it moved and came back while we wrote): the next push compares against it."""
        observed = self._level_quantities(rows)
        again = []
        for row in rows:
            update = row.update
            current = observed.get(row.level_gid)
            if current is None:
                results[row.position] = PushResult(
                    update.listing_external_id,
                    PushOutcome.ERROR,
                    message="the inventory item is not stocked at the location",
                )
            elif current == update.quantity:
                results[row.position] = PushResult(
                    update.listing_external_id, PushOutcome.OK, quantity=current
                )
            elif update.compare_quantity is None or current == update.compare_quantity:
                if not final:
                    again.append(row)
                    continue
                results[row.position] = PushResult(
                    update.listing_external_id,
                    PushOutcome.DRIFT,
                    quantity=current,
                    message="quantities on Shopify kept changing during the push; not written",
                )
            else:
                results[row.position] = PushResult(
                    update.listing_external_id,
                    PushOutcome.DRIFT,
                    quantity=current,
                    message=f"Shopify shows {current}, the hub expected {update.compare_quantity}",
                )
        return again

    def _level_quantities(self, rows: Sequence[_Row]) -> dict[str, int]:
        found: dict[str, int] = {}
        levels = list(dict.fromkeys(row.level_gid for row in rows))
        for chunk in chunks(levels, NODES_LIMIT):
            data = self.client.graphql(
                queries.LEVEL_QUANTITIES,
                {"ids": list(chunk)},
                operation="LevelQuantities",
                cost=queries.LEVEL_QUANTITIES_NODE_COST * len(chunk),
            )
            for level, node in zip(chunk, data.get("nodes") or [], strict=False):
                quantity = available(node)
                if quantity is not None:
                    found[level] = quantity
        return found

    def _set_quantities(
        self, rows: Sequence[_Row], *, key: str, change_from: bool, keyed: bool, ignore_compare: bool
    ) -> list[dict[str, Any]]:
        quantities = []
        for row in rows:
            entry: dict[str, Any] = {
                "inventoryItemId": row.item_gid,
                "locationId": row.location_gid,
                "quantity": row.update.quantity,
            }
            if change_from:
                entry["changeFromQuantity"] = row.update.compare_quantity  # null: don't compare
            elif not ignore_compare:
                entry["compareQuantity"] = row.update.compare_quantity
            quantities.append(entry)
        payload: dict[str, Any] = {
            "name": "available",
            "reason": self.reason,
            "referenceDocumentUri": f"inventory-sync://push/{quote(key, safe=':')}",
            "quantities": quantities,
        }
        if ignore_compare:
            payload["ignoreCompareQuantity"] = True
        variables: dict[str, Any] = {"input": payload}
        if keyed:
            # A retry of this very call replays Shopify's first answer; a call with other
            # quantities under the same hub key (a job retried after the hub moved on) is a
            # different request and gets its own key, as Shopify requires.
            digest = hashlib.sha256(json.dumps(quantities, sort_keys=True).encode()).hexdigest()[:12]
            variables["key"] = f"{key}:{digest}"
        data = self.client.graphql(
            queries.SET_QUANTITIES_KEYED if keyed else queries.SET_QUANTITIES_PLAIN,
            variables,
            operation="SetQuantities",
            cost=queries.SET_QUANTITIES_COST,
        )
        answer = data.get("inventorySetQuantities")
        if not isinstance(answer, dict):
            raise PermanentChannelError(
                "Shopify answered inventorySetQuantities with nothing", raw=json.dumps(data)
            )
        return [e for e in answer.get("userErrors") or [] if isinstance(e, dict)]

    @staticmethod
    def _error_row(error: dict[str, Any], size: int) -> int | None:
        """The quantities index a user error points at (field ["input","quantities","3",...])."""
        path = error.get("field") or []
        if len(path) >= 3 and path[0] == "input" and path[1] == "quantities":
            try:
                index = int(path[2])
            except (TypeError, ValueError):
                return None
            return index if 0 <= index < size else None
        return None

    @staticmethod
    def _raise_call_error(error: dict[str, Any], errors: list[dict[str, Any]]) -> None:
        code = str(error.get("code") or "")
        message = f"Shopify refused the stock update: {error.get('message') or code}"
        if code == "IDEMPOTENCY_CONCURRENT_REQUEST":
            # The same keyed call is still running on Shopify's side: its answer replays later.
            raise TransientChannelError(message, raw=json.dumps(errors), code=code, retry_after=1.0)
        raise PermanentChannelError(message, raw=json.dumps(errors), code=code)
