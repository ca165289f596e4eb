"""One QuickBooks company's data, in memory: the objects of every entity indexed by Id, the
precise last-change time of each, tombstones of deleted transactions (CDC reports them), the
stock effect of every transaction, and unique-name indexes.

Decisions where QuickBooks' behaviour matters to the hub:

- A stock move bumps the Item's SyncToken and MetaData.LastUpdatedTime to the time of the
  transaction that moved it. The hub ignores an item read older than the last one it applied,
  so per object the change time never goes backwards, even when the sandbox clock is moved back:
  each change is stamped max(now, previous change + 1 microsecond). MetaData shows whole seconds
  as QuickBooks does; CDC and time filters compare the precise time, so a change is never lost
  between two reads in the same second (it may be reported twice, which is harmless).
- Names are unique per namespace, ignoring case: Items among Items, Accounts among Accounts,
  and Customers and Vendors share one namespace, as in QuickBooks. Making a name-list object
  inactive renames it "<name> (deleted)", which is what QuickBooks shows; reactivating it takes
  the suffix off again when the plain name is free.
- Ids: each name-list entity counts from 1; all transaction types share one sequence, as they
  do in QuickBooks.

Callers hold the platform lock around every call.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from . import faults
from .entities import ENTITIES, NAME_LIST, REF_TARGETS, TRANSACTION, EntitySpec
from .formats import decimal_of, num, parse_datetime, qbo_epoch

DELETED_SUFFIX = " (deleted)"
NAME_FIELD = {"Item": "Name", "Account": "Name", "Customer": "DisplayName", "Vendor": "DisplayName"}
NAMESPACE = {"Item": "Item", "Account": "Account", "Customer": "party", "Vendor": "party"}


class Books:
    def __init__(self, realm_id: str) -> None:
        self.realm_id = realm_id
        self.objects: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in ENTITIES}
        self.times: dict[str, dict[str, float]] = {name: {} for name in ENTITIES}
        self.deleted: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in ENTITIES}
        self.deleted_times: dict[str, dict[str, float]] = {name: {} for name in ENTITIES}
        self.effects: dict[str, dict[str, float]] = {}  # "Entity:Id" -> {item id: qty moved}
        self.voided: set[str] = set()
        self.counters: dict[str, int] = {}
        self.names: dict[str, dict[str, str]] = {}  # namespace -> casefolded name -> Id
        self.company: dict[str, Any] = {}
        self.changes: list[tuple[str, str, str, float]] = []  # (entity, Id, operation, time)

    # -- lookups -------------------------------------------------------------------------------

    def spec(self, entity: str) -> EntitySpec:
        return ENTITIES[entity]

    def get(self, entity: str, obj_id: Any) -> dict[str, Any]:
        obj = self.objects[entity].get(str(obj_id))
        if obj is None:
            raise faults.object_not_found()
        return obj

    def ref(self, field: str, ref: Any, *, kind: str | None = None, active: bool = True) -> dict[str, Any]:
        """Validate a reference like {"value": "3"} and return it with the target's name filled."""
        target = kind or REF_TARGETS[field]
        if not isinstance(ref, dict):
            raise faults.bad_value(field, ref)
        value = ref.get("value")
        if value is None or value == "":
            raise faults.required_missing(f"{field}.value")
        obj = self.objects[target].get(str(value))
        if obj is None:
            raise faults.invalid_reference(target, value)
        if active and obj.get("Active") is False:
            raise faults.object_not_found()
        return {"value": str(value), "name": obj.get(NAME_FIELD.get(target, "Name"), "")}

    def find_name(self, entity: str, name: str) -> str | None:
        return self.names.get(NAMESPACE[entity], {}).get(name.strip().casefold())

    def time_of(self, entity: str, obj: dict[str, Any], field: str) -> datetime | None:
        if field == "MetaData.LastUpdatedTime":
            epoch = self.times[entity].get(obj.get("Id", ""))
            return datetime.fromtimestamp(epoch, UTC) if epoch is not None else None
        if field == "MetaData.CreateTime":
            return parse_datetime(obj.get("MetaData", {}).get("CreateTime", ""))
        return None

    # -- bookkeeping ---------------------------------------------------------------------------

    def next_id(self, entity: str) -> str:
        key = "txn" if ENTITIES[entity].kind == TRANSACTION else entity
        self.counters[key] = self.counters.get(key, 0) + 1
        return str(self.counters[key])

    def next_doc_number(self, entity: str) -> str:
        key = "doc:" + entity
        self.counters[key] = self.counters.get(key, 1000) + 1
        return str(self.counters[key])

    def touch(self, entity: str, obj: dict[str, Any], now: datetime, operation: str) -> None:
        """Record a change: bump the object's time monotonically and queue its notification."""
        obj_id = obj["Id"]
        epoch = now.timestamp()
        previous = self.times[entity].get(obj_id)
        if previous is not None and epoch <= previous:
            epoch = previous + 0.000001
        self.times[entity][obj_id] = epoch
        meta = obj.setdefault("MetaData", {})
        stamp = qbo_epoch(epoch)
        meta.setdefault("CreateTime", stamp)
        meta["LastUpdatedTime"] = stamp
        self.changes.append((entity, obj_id, operation, epoch))

    def bump(self, obj: dict[str, Any]) -> None:
        obj["SyncToken"] = str(int(obj.get("SyncToken", "0")) + 1)

    def drain_changes(self) -> list[tuple[str, str, str, float]]:
        changes, self.changes = self.changes, []
        return changes

    def index_name(self, entity: str, obj: dict[str, Any], old: dict[str, Any] | None = None) -> None:
        space = self.names.setdefault(NAMESPACE[entity], {})
        field = NAME_FIELD[entity]
        if old is not None:
            previous = str(old.get(field, "")).casefold()
            if space.get(previous) == old["Id"]:
                del space[previous]
        space[str(obj.get(field, "")).casefold()] = obj["Id"]

    def check_name_free(self, entity: str, name: str, own_id: str | None) -> None:
        holder = self.find_name(entity, name)
        if holder is not None and holder != own_id:
            raise faults.duplicate_name(holder)

    # -- stock ---------------------------------------------------------------------------------

    def is_tracked(self, item: dict[str, Any]) -> bool:
        return item.get("Type") == "Inventory" and item.get("TrackQtyOnHand") is True

    def move_stock(self, effects: dict[str, Decimal], now: datetime) -> None:
        for item_id, delta in sorted(effects.items(), key=lambda kv: int(kv[0])):
            if not delta:
                continue
            item = self.objects["Item"][item_id]
            current = decimal_of(item.get("QtyOnHand", 0)) or Decimal(0)
            item["QtyOnHand"] = num(current + delta)
            self.bump(item)
            self.touch("Item", item, now, "Update")

    # -- storing -------------------------------------------------------------------------------

    def insert(self, entity: str, obj: dict[str, Any], now: datetime) -> dict[str, Any]:
        obj["Id"] = self.next_id(entity)
        obj["SyncToken"] = "0"
        obj.setdefault("domain", "QBO")
        obj.setdefault("sparse", False)
        obj["MetaData"] = {}
        self.objects[entity][obj["Id"]] = obj
        if ENTITIES[entity].kind == NAME_LIST:
            self.index_name(entity, obj)
        self.touch(entity, obj, now, "Create")
        return obj

    def replace(self, entity: str, old: dict[str, Any], new: dict[str, Any], now: datetime, op: str) -> None:
        new["Id"] = old["Id"]
        new["SyncToken"] = old["SyncToken"]
        new["MetaData"] = dict(old.get("MetaData", {}))
        new["domain"] = "QBO"
        new["sparse"] = False
        self.bump(new)
        self.objects[entity][old["Id"]] = new
        if ENTITIES[entity].kind == NAME_LIST:
            self.index_name(entity, new, old)
        self.touch(entity, new, now, op)

    def remove(self, entity: str, obj: dict[str, Any], now: datetime) -> dict[str, Any]:
        del self.objects[entity][obj["Id"]]
        self.times[entity].pop(obj["Id"], None)
        tombstone = {"domain": "QBO", "status": "Deleted", "Id": obj["Id"], "MetaData": {}}
        self.deleted[entity][obj["Id"]] = tombstone
        epoch = max(now.timestamp(), self.deleted_times[entity].get(obj["Id"], 0.0))
        self.deleted_times[entity][obj["Id"]] = epoch
        tombstone["MetaData"]["LastUpdatedTime"] = qbo_epoch(epoch)
        self.changes.append((entity, obj["Id"], "Delete", epoch))
        return tombstone

    def changed_since(self, entity: str, since: float) -> Iterable[tuple[float, dict[str, Any]]]:
        for obj_id, epoch in self.times[entity].items():
            if epoch > since:
                yield epoch, self.objects[entity][obj_id]
        for obj_id, epoch in self.deleted_times[entity].items():
            if epoch > since:
                yield epoch, self.deleted[entity][obj_id]

    # -- snapshot ------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        return copy.deepcopy(
            {
                "realm_id": self.realm_id,
                "objects": self.objects,
                "times": self.times,
                "deleted": self.deleted,
                "deleted_times": self.deleted_times,
                "effects": self.effects,
                "voided": sorted(self.voided),
                "counters": self.counters,
                "company": self.company,
            }
        )

    @classmethod
    def restore(cls, state: dict[str, Any]) -> Books:
        books = cls(state["realm_id"])
        for name in ENTITIES:
            books.objects[name] = state["objects"].get(name, {})
            books.times[name] = {k: float(v) for k, v in state["times"].get(name, {}).items()}
            books.deleted[name] = state["deleted"].get(name, {})
            books.deleted_times[name] = {k: float(v) for k, v in state["deleted_times"].get(name, {}).items()}
        books.effects = state["effects"]
        books.voided = set(state["voided"])
        books.counters = state["counters"]
        books.company = state["company"]
        for name, spec in ENTITIES.items():
            if spec.kind == NAME_LIST:
                for obj in books.objects[name].values():
                    books.index_name(name, obj)
        return books
