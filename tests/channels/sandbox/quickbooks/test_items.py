"""Item writes: create, full and sparse update, SyncToken, and QuickBooks' validation faults."""

from __future__ import annotations

from typing import Any

from .conftest import Qbo, fault_code


def _inventory(name: str, sku: str, **extra: Any) -> dict[str, Any]:
    return {
        "Name": name,
        "Sku": sku,
        "Type": "Inventory",
        "TrackQtyOnHand": True,
        "QtyOnHand": 12,
        "InvStartDate": "2026-01-01",
        "UnitPrice": 16,
        "IncomeAccountRef": {"value": "1"},
        "ExpenseAccountRef": {"value": "2"},
        "AssetAccountRef": {"value": "3"},
        **extra,
    }


def test_create_inventory_item_and_read_it_back(qbo: Qbo) -> None:
    created = qbo.ok("Item", _inventory("Soy candle, amber jar", "CANDLE-SOY-01"), requestid="create-candle")
    assert created["SyncToken"] == "0"
    assert created["QtyOnHand"] == 12
    assert created["IncomeAccountRef"] == {"value": "1", "name": "Sales of Product Income"}
    assert created["MetaData"]["CreateTime"] == created["MetaData"]["LastUpdatedTime"]
    assert qbo.item(created["Id"]) == created
    assert qbo.stock("CANDLE-SOY-01") == 12
    items = qbo.control("/items")["items"]
    assert {
        "Id": created["Id"],
        "Sku": "CANDLE-SOY-01",
        "Type": "Inventory",
        "QtyOnHand": 12,
    }.items() <= items[-1].items()


def test_sparse_update_bumps_synctoken_and_a_stale_one_is_refused(qbo: Qbo) -> None:
    before = qbo.item("2")
    qbo.advance(5)
    updated = qbo.ok("Item", {"Id": "2", "SyncToken": "0", "sparse": True, "UnitPrice": 19.5})
    assert updated["SyncToken"] == "1"
    assert updated["UnitPrice"] == 19.5
    assert updated["Description"] == before["Description"]  # sparse keeps what was not sent
    assert updated["MetaData"]["LastUpdatedTime"] > before["MetaData"]["LastUpdatedTime"]

    stale = qbo.post("Item", {"Id": "2", "SyncToken": "0", "sparse": True, "UnitPrice": 1})
    assert stale.status_code == 400
    assert fault_code(stale) == "5010"
    assert stale.json()["Fault"]["Error"][0]["Message"] == "Stale Object Error"
    assert stale.json()["Fault"]["type"] == "ValidationFault"
    assert qbo.item("2")["UnitPrice"] == 19.5


def test_full_update_replaces_every_writable_field(qbo: Qbo) -> None:
    item = qbo.item("3")
    body = {k: v for k, v in item.items() if k not in ("Description", "PurchaseDesc")}
    updated = qbo.ok("Item", body)
    assert "Description" not in updated
    assert updated["QtyOnHand"] == item["QtyOnHand"]
    assert updated["SyncToken"] == "1"


def test_writing_qtyonhand_on_an_existing_item_sets_the_quantity(qbo: Qbo) -> None:
    qbo.ok("Item", {"Id": "4", "SyncToken": "0", "sparse": True, "QtyOnHand": 7})
    assert qbo.stock("BIN-SM-003") == 7


def test_duplicate_name_is_refused_ignoring_case(qbo: Qbo) -> None:
    response = qbo.post("Item", _inventory("STORAGE BIN, LARGE", "BIN-LG-XX"))
    assert response.status_code == 400
    assert fault_code(response) == "6240"
    assert response.json()["Fault"]["Error"][0]["Detail"] == "The name supplied already exists. : Id=2"
    renamed = qbo.post("Item", {"Id": "3", "SyncToken": "0", "sparse": True, "Name": "Storage bin, large"})
    assert fault_code(renamed) == "6240"
    customer = qbo.post("Customer", {"DisplayName": "Acme Storage Supply"})  # a vendor's name
    assert fault_code(customer) == "6240"


def test_missing_required_fields(qbo: Qbo) -> None:
    cases = {
        "Name": {k: v for k, v in _inventory("x", "y").items() if k != "Name"},
        "AssetAccountRef": {
            k: v for k, v in _inventory("No asset", "NA-1").items() if k != "AssetAccountRef"
        },
        "QtyOnHand": {k: v for k, v in _inventory("No qty", "NQ-1").items() if k != "QtyOnHand"},
        "InvStartDate": {k: v for k, v in _inventory("No date", "ND-1").items() if k != "InvStartDate"},
        "SyncToken": {"Id": "1", "sparse": True, "UnitPrice": 3},
    }
    for missing, body in cases.items():
        response = qbo.post("Item", body)
        assert response.status_code == 400, missing
        assert fault_code(response) == "2020", missing
        error = response.json()["Fault"]["Error"][0]
        assert error["Detail"] == f"Required parameter {missing} is missing in the request"
    assert qbo.state()["writes_applied"] == 0


def test_unknown_id_and_unknown_reference(qbo: Qbo) -> None:
    read = qbo.read("Item", "9999")
    assert read.status_code == 400
    assert fault_code(read) == "610"
    assert read.json()["Fault"]["Error"][0]["Message"] == "Object Not Found"
    update = qbo.post("Item", {"Id": "9999", "SyncToken": "0", "sparse": True, "UnitPrice": 1})
    assert fault_code(update) == "610"
    ref = qbo.post("Item", _inventory("Bad ref", "BR-1", AssetAccountRef={"value": "999"}))
    assert fault_code(ref) == "2500"


def test_inventory_item_type_cannot_change(qbo: Qbo) -> None:
    response = qbo.post("Item", {"Id": "1", "SyncToken": "0", "sparse": True, "Type": "NonInventory"})
    assert response.status_code == 400
    assert fault_code(response) == "6000"


def test_non_inventory_and_service_items(qbo: Qbo) -> None:
    service = qbo.ok("Item", {"Name": "Delivery", "Type": "Service", "IncomeAccountRef": {"value": "5"}})
    assert service["TrackQtyOnHand"] is False
    assert "QtyOnHand" not in service
    no_account = qbo.post("Item", {"Name": "Wrapping paper", "Type": "NonInventory"})
    assert fault_code(no_account) == "2020"
    assert "Delivery" not in str(qbo.state()["stock"])


def test_items_cannot_be_deleted_only_made_inactive(qbo: Qbo) -> None:
    response = qbo.post("Item", {"Id": "1", "SyncToken": "0"}, operation="delete")
    assert response.status_code == 400
    assert fault_code(response) == "500"
    back = qbo.ok("Item", {"Id": "1", "SyncToken": "0", "sparse": True, "Active": False})
    assert back["Name"] == "Sample storage bin (deleted)"
    again = qbo.ok("Item", {"Id": "1", "SyncToken": back["SyncToken"], "sparse": True, "Active": True})
    assert again["Name"] == "Sample storage bin"
