"""Transactions: each one's effect on QtyOnHand, totals, PurchaseOrder closing, delete and void."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Qbo, fault_code, sale_line

# Item 2 is BIN-LG-001 (240 on hand), item 3 BIN-MD-002 (310), item 47 the non-inventory gift wrap.
SALES = "SalesItemLineDetail"
EXPENSE = "ItemBasedExpenseLineDetail"


def _doc(entity: str) -> dict[str, Any]:
    detail = SALES if entity in ("SalesReceipt", "Invoice", "CreditMemo", "RefundReceipt") else EXPENSE
    lines = [sale_line("2", 3, 18, detail), sale_line("3", 2, 14, detail), sale_line("47", 1, 3, detail)]
    doc: dict[str, Any] = {"Line": lines}
    if entity in ("Invoice", "CreditMemo", "SalesReceipt", "RefundReceipt"):
        doc["CustomerRef"] = {"value": "1"}
    if entity == "RefundReceipt":
        doc["DepositToAccountRef"] = {"value": "9"}
    if entity in ("Bill", "VendorCredit", "PurchaseOrder"):
        doc["VendorRef"] = {"value": "1"}
    if entity == "Purchase":
        doc.update({"AccountRef": {"value": "9"}, "PaymentType": "Check"})
    return doc


@pytest.mark.parametrize(
    ("entity", "sign"),
    [
        ("SalesReceipt", -1),
        ("Invoice", -1),
        ("CreditMemo", 1),
        ("RefundReceipt", 1),
        ("Bill", 1),
        ("Purchase", 1),
        ("VendorCredit", -1),
        ("PurchaseOrder", 0),
    ],
)
def test_each_transaction_moves_stock_as_quickbooks_does(qbo: Qbo, entity: str, sign: int) -> None:
    before = qbo.item("2")
    qbo.advance(3)
    txn = qbo.ok(entity, _doc(entity))
    assert txn["TotalAmt"] == 3 * 18 + 2 * 14 + 3
    assert qbo.stock("BIN-LG-001") == 240 + sign * 3
    assert qbo.stock("BIN-MD-002") == 310 + sign * 2
    assert qbo.read(entity, txn["Id"]).json()[entity] == txn
    assert [t["Id"] for t in qbo.rows(f"SELECT * FROM {entity}")] == [txn["Id"]]  # noqa: S608 (not SQL)
    after = qbo.item("2")
    if sign:
        assert after["SyncToken"] == "1"
        assert after["MetaData"]["LastUpdatedTime"] == txn["MetaData"]["LastUpdatedTime"]
        assert after["MetaData"]["LastUpdatedTime"] > before["MetaData"]["LastUpdatedTime"]
    else:
        assert after == before


def test_sales_documents_come_back_with_a_subtotal_line(qbo: Qbo) -> None:
    receipt = qbo.ok("SalesReceipt", _doc("SalesReceipt"))
    assert receipt["Line"][-1] == {"Amount": 85, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
    assert [line["Id"] for line in receipt["Line"][:-1]] == ["1", "2", "3"]
    assert receipt["DocNumber"] == "1001"
    assert receipt["Line"][0][SALES]["ItemRef"] == {"value": "2", "name": "Storage bin, large"}


def test_purchase_with_credit_is_a_refund_and_takes_stock_out(qbo: Qbo) -> None:
    qbo.ok("Purchase", {**_doc("Purchase"), "Credit": True})
    assert qbo.stock("BIN-LG-001") == 237


def test_inventory_adjustment_by_difference_and_by_new_quantity(qbo: Qbo) -> None:
    adjust = {
        "AdjustAccountRef": {"value": "10"},
        "Line": [
            {
                "DetailType": "ItemAdjustmentLineDetail",
                "ItemAdjustmentLineDetail": {"ItemRef": {"value": "2"}, "QtyDiff": -5},
            },
            {
                "DetailType": "ItemAdjustmentLineDetail",
                "ItemAdjustmentLineDetail": {"ItemRef": {"value": "3"}, "NewQty": 300},
            },
        ],
    }
    txn = qbo.ok("InventoryAdjustment", adjust)
    assert qbo.stock("BIN-LG-001") == 235
    assert qbo.stock("BIN-MD-002") == 300
    assert txn["Line"][1]["ItemAdjustmentLineDetail"]["QtyDiff"] == -10
    missing_account = qbo.post("InventoryAdjustment", {"Line": adjust["Line"]})
    assert fault_code(missing_account) == "2020"
    not_inventory = qbo.post(
        "InventoryAdjustment",
        {
            "AdjustAccountRef": {"value": "10"},
            "Line": [
                {
                    "DetailType": "ItemAdjustmentLineDetail",
                    "ItemAdjustmentLineDetail": {"ItemRef": {"value": "47"}, "QtyDiff": 1},
                }
            ],
        },
    )
    assert fault_code(not_inventory) == "6000"


def test_stock_may_go_negative(qbo: Qbo) -> None:
    qbo.ok("Invoice", {"CustomerRef": {"value": "1"}, "Line": [sale_line("36", 20, 129)]})
    assert qbo.stock("LAMP-FLOOR-BRS") == -2


def test_bill_linked_to_a_purchase_order_closes_it(qbo: Qbo) -> None:
    po = qbo.ok("PurchaseOrder", _doc("PurchaseOrder"))
    assert po["POStatus"] == "Open"
    assert qbo.stock("BIN-LG-001") == 240
    bill = qbo.ok("Bill", {**_doc("Bill"), "LinkedTxn": [{"TxnId": po["Id"], "TxnType": "PurchaseOrder"}]})
    assert qbo.stock("BIN-LG-001") == 243
    closed = qbo.read("PurchaseOrder", po["Id"]).json()["PurchaseOrder"]
    assert closed["POStatus"] == "Closed"
    assert closed["LinkedTxn"] == [{"TxnId": bill["Id"], "TxnType": "Bill"}]
    assert closed["SyncToken"] == "1"

    qbo.ok("Bill", {"Id": bill["Id"], "SyncToken": bill["SyncToken"]}, operation="delete")
    assert qbo.stock("BIN-LG-001") == 240
    assert qbo.read("PurchaseOrder", po["Id"]).json()["PurchaseOrder"]["POStatus"] == "Open"
    unknown_po = qbo.post(
        "Bill", {**_doc("Bill"), "LinkedTxn": [{"TxnId": "999", "TxnType": "PurchaseOrder"}]}
    )
    assert fault_code(unknown_po) == "2500"


def test_delete_and_void_put_the_stock_back(qbo: Qbo) -> None:
    receipt = qbo.ok("SalesReceipt", _doc("SalesReceipt"))
    deleted = qbo.post(
        "SalesReceipt", {"Id": receipt["Id"], "SyncToken": receipt["SyncToken"]}, operation="delete"
    )
    assert deleted.json()["SalesReceipt"] == {"domain": "QBO", "status": "Deleted", "Id": receipt["Id"]}
    assert qbo.stock("BIN-LG-001") == 240
    assert fault_code(qbo.read("SalesReceipt", receipt["Id"])) == "610"

    invoice = qbo.ok("Invoice", _doc("Invoice"))
    assert qbo.stock("BIN-LG-001") == 237
    voided = qbo.ok("Invoice", {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]}, operation="void")
    assert voided["TotalAmt"] == 0
    assert voided["Balance"] == 0
    assert qbo.stock("BIN-LG-001") == 240
    receipt = qbo.ok("SalesReceipt", _doc("SalesReceipt"))
    qbo.ok(
        "SalesReceipt",
        {"Id": receipt["Id"], "SyncToken": "0", "sparse": True},
        operation="update",
        include="void",
    )
    assert qbo.stock("BIN-LG-001") == 240


def test_updating_a_transaction_moves_only_the_difference(qbo: Qbo) -> None:
    invoice = qbo.ok("Invoice", {"CustomerRef": {"value": "1"}, "Line": [sale_line("2", 3, 18)]})
    assert qbo.stock("BIN-LG-001") == 237
    changed = qbo.ok(
        "Invoice",
        {
            "Id": invoice["Id"],
            "SyncToken": invoice["SyncToken"],
            "sparse": True,
            "Line": [sale_line("2", 5, 18)],
        },
    )
    assert changed["TotalAmt"] == 90
    assert changed["Balance"] == 90
    assert qbo.stock("BIN-LG-001") == 235


def test_line_faults(qbo: Qbo) -> None:
    wrong_amount = qbo.post("SalesReceipt", {"Line": [{**sale_line("2", 2, 18), "Amount": 40}]})
    assert fault_code(wrong_amount) == "6070"
    no_amount = qbo.post(
        "SalesReceipt", {"Line": [{"DetailType": SALES, SALES: {"ItemRef": {"value": "2"}, "Qty": 1}}]}
    )
    assert fault_code(no_amount) == "2020"
    unknown_item = qbo.post("SalesReceipt", {"Line": [sale_line("9999", 1, 1)]})
    assert fault_code(unknown_item) == "2500"
    no_lines = qbo.post("Invoice", {"CustomerRef": {"value": "1"}})
    assert fault_code(no_lines) == "2020"
    no_customer = qbo.post("Invoice", {"Line": [sale_line("2", 1, 18)]})
    assert fault_code(no_customer) == "2020"
    wrong_detail = qbo.post("Bill", {"VendorRef": {"value": "1"}, "Line": [sale_line("2", 1, 18)]})
    assert fault_code(wrong_detail) == "2010"
    assert qbo.stock("BIN-LG-001") == 240
    assert qbo.state()["writes_applied"] == 0


def test_item_time_never_goes_backwards(qbo: Qbo) -> None:
    qbo.ok("SalesReceipt", {"Line": [sale_line("2", 1, 18)]})
    first = qbo.item("2")
    qbo.advance(-3600)  # someone sets the sandbox clock back an hour
    qbo.ok("SalesReceipt", {"Line": [sale_line("2", 1, 18)]})
    second = qbo.item("2")
    assert second["MetaData"]["LastUpdatedTime"] >= first["MetaData"]["LastUpdatedTime"]
    assert int(second["SyncToken"]) == int(first["SyncToken"]) + 1
