"""Create, update, delete and void: the writes of the v3 API, applied to the books.

Every write validates completely before it changes anything, so a fault leaves the company as
it was. Update checks SyncToken (5010 when stale) and is either full (the request replaces every
writable field) or sparse (`"sparse": true`, only the fields sent change; a Line array sent
replaces all lines). Name-list objects are never deleted, only made inactive; transactions can
be deleted (`?operation=delete`) and SalesReceipt and Invoice voided (`?operation=void`, or
`operation=update&include=void`), both of which put back the stock they moved.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from . import faults
from .books import Books
from .entities import ENTITIES, NAME_LIST, READ_ONLY, EntitySpec
from .namelists import build_name_list
from .transactions import build_transaction, linked_po_ids


def check_fields(spec: EntitySpec, payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise faults.malformed_body()
    for name in payload:
        if name not in spec.fields and name not in READ_ONLY:
            raise faults.unknown_field(spec.name, name)
    return payload


def _key(entity: str, obj_id: str) -> str:
    return f"{entity}:{obj_id}"


def _current(books: Books, entity: str, payload: dict[str, Any]) -> dict[str, Any]:
    if payload.get("Id") in (None, ""):
        raise faults.required_missing("Id")
    if payload.get("SyncToken") in (None, ""):
        raise faults.required_missing("SyncToken")
    current = books.get(entity, payload["Id"])
    if str(payload["SyncToken"]) != current["SyncToken"]:
        raise faults.stale_object()
    return current


def _relink(
    books: Books, entity: str, txn: dict[str, Any], po_ids: list[str], now: datetime, *, link: bool
) -> None:
    """A Bill (or Purchase) linked to a PurchaseOrder closes it; unlinking reopens it."""
    for po_id in po_ids:
        po = books.objects["PurchaseOrder"].get(po_id)
        if po is None:
            continue
        links = [lt for lt in po.get("LinkedTxn", []) if str(lt.get("TxnId")) != txn["Id"]]
        if link:
            links.append({"TxnId": txn["Id"], "TxnType": entity})
            po["POStatus"] = "Closed"
        elif not links:
            po["POStatus"] = "Open"
        po["LinkedTxn"] = links
        books.bump(po)
        books.touch("PurchaseOrder", po, now, "Update")


def _as_float(effects: dict[str, Decimal]) -> dict[str, float]:
    return {item_id: float(qty) for item_id, qty in effects.items()}


def create(books: Books, entity: str, payload: Any, now: datetime) -> dict[str, Any]:
    spec = ENTITIES[entity]
    payload = check_fields(spec, payload)
    if spec.kind == NAME_LIST:
        return books.insert(entity, build_name_list(books, entity, payload, None), now)
    built = build_transaction(books, spec, payload, now)
    txn = books.insert(entity, built.obj, now)
    books.effects[_key(entity, txn["Id"])] = _as_float(built.effects)
    books.move_stock(built.effects, now)
    _relink(books, entity, txn, built.linked_pos, now, link=True)
    return txn


def update(books: Books, entity: str, payload: Any, now: datetime) -> dict[str, Any]:
    spec = ENTITIES[entity]
    payload = check_fields(spec, payload)
    current = _current(books, entity, payload)
    sparse = payload.get("sparse") is True or str(payload.get("sparse")).lower() == "true"
    merged = {**current, **payload} if sparse else dict(payload)
    if spec.kind == NAME_LIST:
        new = build_name_list(books, entity, merged, current)
        books.replace(entity, current, new, now, "Update")
        return new
    key = _key(entity, current["Id"])
    if key in books.voided:
        raise faults.business("You can't edit a transaction that has been voided.")
    old_effects = books.effects.get(key, {})
    old_pos = linked_po_ids(current)
    built = build_transaction(books, spec, merged, now, old_effects=old_effects)
    books.replace(entity, current, built.obj, now, "Update")
    net = {item_id: Decimal(str(qty)) for item_id, qty in built.effects.items()}
    for item_id, qty in old_effects.items():
        net[item_id] = net.get(item_id, Decimal(0)) - Decimal(str(qty))
    books.effects[key] = _as_float(built.effects)
    books.move_stock(net, now)
    _relink(books, entity, built.obj, [p for p in old_pos if p not in built.linked_pos], now, link=False)
    _relink(books, entity, built.obj, [p for p in built.linked_pos if p not in old_pos], now, link=True)
    return built.obj


def _undo_stock(books: Books, key: str, now: datetime) -> None:
    effects = books.effects.pop(key, {})
    books.move_stock({item_id: -Decimal(str(qty)) for item_id, qty in effects.items()}, now)


def delete(books: Books, entity: str, payload: Any, now: datetime) -> dict[str, Any]:
    spec = ENTITIES[entity]
    if not spec.deletable:
        raise faults.unsupported_operation(f"Delete for entity {entity}")
    payload = check_fields(spec, payload)
    current = _current(books, entity, payload)
    key = _key(entity, current["Id"])
    tombstone = books.remove(entity, current, now)
    _undo_stock(books, key, now)
    books.voided.discard(key)
    _relink(books, entity, current, linked_po_ids(current), now, link=False)
    return {"domain": "QBO", "status": "Deleted", "Id": tombstone["Id"]}


def void(books: Books, entity: str, payload: Any, now: datetime) -> dict[str, Any]:
    spec = ENTITIES[entity]
    if not spec.voidable:
        raise faults.unsupported_operation(f"Void for entity {entity}")
    payload = check_fields(spec, payload)
    current = _current(books, entity, payload)
    key = _key(entity, current["Id"])
    if key in books.voided:
        return current
    voided = dict(current)
    voided["Line"] = [{**line, "Amount": 0} for line in current.get("Line", [])]
    voided["TotalAmt"] = 0
    voided["Balance"] = 0
    voided["PrivateNote"] = "Voided"
    books.replace(entity, current, voided, now, "Void")
    books.voided.add(key)
    _undo_stock(books, key, now)
    return voided
