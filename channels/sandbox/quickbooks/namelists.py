"""Validation and defaults for the name-list entities: Item, Customer, Vendor, Account.

Each builder takes the request's fields (for an update: already merged with the stored object
when sparse) and returns the object to store, without Id, SyncToken and MetaData, which the
books assign. Faults are QuickBooks': 2020 for a missing required field, 2010 for a value of the
wrong type, 2500 for a reference to nothing, 6240 for a name in use.

An Inventory item needs IncomeAccountRef, ExpenseAccountRef, AssetAccountRef, QtyOnHand,
InvStartDate and TrackQtyOnHand=true. Writing QtyOnHand on an existing item sets the quantity, as
QuickBooks does (it books an inventory quantity adjustment behind the scenes). An inventory
item's Type cannot be changed.
"""

from __future__ import annotations

from typing import Any

from . import faults
from .books import DELETED_SUFFIX, NAME_FIELD, Books
from .entities import ITEM_TYPES
from .formats import decimal_of, is_date, num

USD = {"value": "USD", "name": "United States Dollar"}

_CLASSIFICATION = {
    "Bank": "Asset",
    "Other Current Asset": "Asset",
    "Fixed Asset": "Asset",
    "Other Asset": "Asset",
    "Accounts Receivable": "Asset",
    "Equity": "Equity",
    "Expense": "Expense",
    "Other Expense": "Expense",
    "Cost of Goods Sold": "Expense",
    "Accounts Payable": "Liability",
    "Credit Card": "Liability",
    "Long Term Liability": "Liability",
    "Other Current Liability": "Liability",
    "Income": "Revenue",
    "Other Income": "Revenue",
}


def _text(payload: dict[str, Any], field: str, *, maximum: int, required: bool = False) -> str | None:
    value = payload.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise faults.required_missing(field)
        return None
    if not isinstance(value, str):
        raise faults.bad_value(field, value)
    value = value.strip()
    if len(value) > maximum:
        raise faults.string_length(field, len(value), maximum)
    return value


def _number(payload: dict[str, Any], field: str) -> int | float | None:
    if payload.get(field) is None:
        return None
    value = decimal_of(payload[field])
    if value is None:
        raise faults.bad_value(field, payload[field])
    return num(value)


def _bool(payload: dict[str, Any], field: str, default: bool) -> bool:
    value = payload.get(field, default)
    if value is None:
        return default
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise faults.bad_value(field, value)
    return value


def _active_name(entity: str, name: str, active: bool, own_id: str | None, books: Books) -> str:
    """QuickBooks' "(deleted)" suffix on inactive names, taken off again on reactivation."""
    if not active and not name.endswith(DELETED_SUFFIX):
        return name + DELETED_SUFFIX
    if active and name.endswith(DELETED_SUFFIX):
        plain = name[: -len(DELETED_SUFFIX)]
        holder = books.find_name(entity, plain)
        if holder is None or holder == own_id:
            return plain
    return name


def build_item(books: Books, payload: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
    own_id = existing["Id"] if existing else None
    name = _text(payload, "Name", maximum=100, required=True) or ""
    item_type = payload.get("Type") or (existing or {}).get("Type") or "NonInventory"
    if item_type not in ITEM_TYPES:
        raise faults.bad_value("Type", item_type)
    if existing and existing.get("Type") == "Inventory" and item_type != "Inventory":
        raise faults.business("You can't change the type of an inventory item.")
    active = _bool(payload, "Active", True)
    name = _active_name("Item", name, active, own_id, books)
    books.check_name_free("Item", name, own_id)

    item: dict[str, Any] = {"Name": name}
    for field, maximum in (("Sku", 100), ("Description", 4000), ("PurchaseDesc", 1000)):
        value = _text(payload, field, maximum=maximum)
        if value is not None:
            item[field] = value
    item["Active"] = active
    item["FullyQualifiedName"] = name
    item["Taxable"] = _bool(payload, "Taxable", False)
    for field in ("UnitPrice", "PurchaseCost"):
        price = _number(payload, field)
        item[field] = price if price is not None else 0
    item["Type"] = item_type
    for field in ("IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef"):
        if payload.get(field) is not None:
            item[field] = books.ref(field, payload[field])
    if payload.get("PrefVendorRef") is not None:
        item["PrefVendorRef"] = books.ref("PrefVendorRef", payload["PrefVendorRef"])
    for field in ("ClassRef", "SalesTaxCodeRef", "PurchaseTaxCodeRef", "TaxClassificationRef", "ParentRef"):
        if isinstance(payload.get(field), dict):
            item[field] = payload[field]

    if item_type == "Inventory":
        for field in ("IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef"):
            if field not in item:
                raise faults.required_missing(field)
        if payload.get("TrackQtyOnHand") is None and not existing:
            raise faults.required_missing("TrackQtyOnHand")
        if not _bool(payload, "TrackQtyOnHand", True):
            raise faults.business("Inventory items must track quantity on hand (TrackQtyOnHand=true).")
        item["TrackQtyOnHand"] = True
        qty = _number(payload, "QtyOnHand")
        if qty is None:
            if existing is None or existing.get("Type") != "Inventory":
                raise faults.required_missing("QtyOnHand")
            qty = existing.get("QtyOnHand", 0)
        item["QtyOnHand"] = qty
        start = payload.get("InvStartDate")
        if start is None:
            raise faults.required_missing("InvStartDate")
        if not is_date(start):
            raise faults.bad_value("InvStartDate", start)
        item["InvStartDate"] = start
        reorder = _number(payload, "ReorderPoint")
        if reorder is not None:
            item["ReorderPoint"] = reorder
    else:
        if item_type in ("NonInventory", "Service") and not (
            "IncomeAccountRef" in item or "ExpenseAccountRef" in item
        ):
            raise faults.required_missing("IncomeAccountRef")
        item["TrackQtyOnHand"] = False
    return item


def _display_name(payload: dict[str, Any]) -> str | None:
    name = _text(payload, "DisplayName", maximum=500)
    if name:
        return name
    parts = [payload.get(f) for f in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")]
    composed = " ".join(str(p).strip() for p in parts if isinstance(p, str) and p.strip())
    return composed or _text(payload, "CompanyName", maximum=500)


def build_party(
    books: Books, entity: str, payload: dict[str, Any], existing: dict[str, Any] | None
) -> dict[str, Any]:
    """A Customer or a Vendor; they share one namespace of display names."""
    own_id = existing["Id"] if existing else None
    name = _display_name(payload)
    if not name:
        raise faults.required_missing("DisplayName")
    active = _bool(payload, "Active", True)
    name = _active_name(entity, name, active, own_id, books)
    books.check_name_free(entity, name, own_id)
    party = {k: v for k, v in payload.items() if k not in ("Id", "SyncToken", "MetaData", "domain", "sparse")}
    party.update(
        {
            "DisplayName": name,
            "PrintOnCheckName": payload.get("PrintOnCheckName") or name,
            "FullyQualifiedName": name,
            "Active": active,
            "Balance": (existing or {}).get("Balance", 0),
            "CurrencyRef": USD,
        }
    )
    if entity == "Customer":
        party.setdefault("Taxable", False)
        party.setdefault("Job", False)
        party.setdefault("BillWithParent", False)
        party.setdefault("PreferredDeliveryMethod", "Print")
        party["BalanceWithJobs"] = party["Balance"]
    else:
        party.setdefault("Vendor1099", False)
    return party


def build_account(books: Books, payload: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
    own_id = existing["Id"] if existing else None
    name = _text(payload, "Name", maximum=100, required=True) or ""
    if ":" in name or '"' in name:
        raise faults.business("The account name can't contain a colon (:) or double quotes.")
    account_type = payload.get("AccountType")
    if not account_type and not payload.get("AccountSubType"):
        raise faults.required_missing("AccountType")
    if account_type and (not isinstance(account_type, str) or account_type not in _CLASSIFICATION):
        raise faults.bad_value("AccountType", account_type)
    active = _bool(payload, "Active", True)
    name = _active_name("Account", name, active, own_id, books)
    books.check_name_free("Account", name, own_id)
    account_type = account_type or "Expense"
    account = {
        "Name": name,
        "SubAccount": False,
        "FullyQualifiedName": name,
        "Active": active,
        "Classification": _CLASSIFICATION[account_type],
        "AccountType": account_type,
        "AccountSubType": payload.get("AccountSubType") or account_type.replace(" ", ""),
        "CurrentBalance": (existing or {}).get("CurrentBalance", 0),
        "CurrentBalanceWithSubAccounts": (existing or {}).get("CurrentBalance", 0),
        "CurrencyRef": USD,
    }
    for field in ("AcctNum", "Description"):
        if payload.get(field) is not None:
            account[field] = payload[field]
    return account


def build_name_list(
    books: Books, entity: str, payload: dict[str, Any], existing: dict[str, Any] | None
) -> dict[str, Any]:
    if entity == "Item":
        return build_item(books, payload, existing)
    if entity == "Account":
        return build_account(books, payload, existing)
    return build_party(books, entity, payload, existing)


def name_of(entity: str, obj: dict[str, Any]) -> str:
    return str(obj.get(NAME_FIELD[entity], ""))
