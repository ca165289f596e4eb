"""Bad input gets QuickBooks' own faults, never the sandbox's catch-all 500."""

from __future__ import annotations

import random

import requests

from .conftest import Qbo, fault_code


def test_malformed_json_and_wrong_shapes(qbo: Qbo) -> None:
    for raw in (b"{not json", b"", b"\xff\xfe", b"[1, 2]", b'"text"', b"null"):
        response = qbo.http.post(
            f"{qbo.base}/item",
            data=raw,
            headers={"Content-Type": "application/json"},
            params={"minorversion": "75"},
        )
        assert response.status_code == 400, raw
        assert fault_code(response) == "2010", raw
        assert response.json()["Fault"]["type"] == "ValidationFault"
        assert response.json()["time"]


def test_unknown_fields_and_wrong_types(qbo: Qbo) -> None:
    unknown = qbo.post(
        "Item", {"Name": "Widget", "Type": "Service", "IncomeAccountRef": {"value": "5"}, "Colour": "red"}
    )
    assert fault_code(unknown) == "2010"
    assert 'Unrecognized field "Colour"' in unknown.json()["Fault"]["Error"][0]["Detail"]
    for body in (
        {"Name": 12, "Type": "Service", "IncomeAccountRef": {"value": "5"}},
        {"Name": "W", "Type": "Gadget", "IncomeAccountRef": {"value": "5"}},
        {"Name": "W", "Type": "Service", "IncomeAccountRef": "5"},
        {"Name": "W", "Type": "Service", "IncomeAccountRef": {"value": "5"}, "UnitPrice": "cheap"},
        {"Name": "x" * 101, "Type": "Service", "IncomeAccountRef": {"value": "5"}},
    ):
        response = qbo.post("Item", body)
        assert response.status_code == 400, body
    lines = qbo.post("SalesReceipt", {"Line": "everything"})
    assert fault_code(lines) == "2010"
    qty = qbo.post(
        "SalesReceipt",
        {
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": 1,
                    "SalesItemLineDetail": {"ItemRef": {"value": "2"}, "Qty": "two"},
                }
            ]
        },
    )
    assert fault_code(qty) == "2010"


def test_unknown_entities_and_paths(qbo: Qbo) -> None:
    response = qbo.post("Widget", {"Name": "x"})
    assert response.status_code == 400
    assert fault_code(response) == "500"
    assert "is not supported" in response.json()["Fault"]["Error"][0]["Detail"]
    assert fault_code(qbo.http.get(f"{qbo.base}/widget/1")) == "500"
    assert fault_code(qbo.http.get(f"{qbo.base}/item")) == "500"
    assert fault_code(qbo.read("Item", "abc")) == "610"
    assert requests.get(f"{qbo.url}/nothing/here", timeout=5).status_code == 404


def test_bad_batches(qbo: Qbo) -> None:
    for body in ({}, {"BatchItemRequest": "x"}, {"BatchItemRequest": []}, [1]):
        response = qbo.http.post(f"{qbo.base}/batch", json=body)
        assert response.status_code == 400, body
    items = {
        "BatchItemRequest": [
            "junk",
            {"operation": "create", "Item": {}},
            {"bId": "2", "operation": "explode", "Item": {}},
            {"bId": "3", "operation": "create", "Widget": {}},
            {"bId": "4", "Query": "select * from"},
            {"bId": "5", "operation": "delete", "Item": {"Id": "1", "SyncToken": "0"}},
        ]
    }
    response = qbo.http.post(f"{qbo.base}/batch", json=items)
    assert response.status_code == 200
    assert all("Fault" in result for result in response.json()["BatchItemResponse"])


def test_random_junk_never_gets_a_500(qbo: Qbo) -> None:
    rng = random.Random(20260301)
    paths = [
        "/item",
        "/salesreceipt",
        "/invoice",
        "/bill",
        "/batch",
        "/query",
        "/cdc",
        "/item/1",
        "/inventoryadjustment",
    ]
    values: list[object] = [
        None,
        0,
        -1,
        1.5,
        "",
        "x",
        "1",
        [],
        {},
        [{}],
        {"value": "2"},
        True,
        "2026-13-45",
        "9" * 40,
    ]
    fields = [
        "Name",
        "Type",
        "Line",
        "Id",
        "SyncToken",
        "sparse",
        "Qty",
        "Amount",
        "DetailType",
        "CustomerRef",
        "VendorRef",
        "TxnDate",
        "QtyOnHand",
        "InvStartDate",
        "LinkedTxn",
        "BatchItemRequest",
        "AdjustAccountRef",
    ]
    for _ in range(300):
        body = {rng.choice(fields): rng.choice(values) for _ in range(rng.randint(0, 4))}
        if rng.random() < 0.3:
            body["Line"] = [
                {
                    rng.choice(fields): rng.choice(values),
                    "DetailType": rng.choice(
                        [
                            "SalesItemLineDetail",
                            "ItemBasedExpenseLineDetail",
                            "ItemAdjustmentLineDetail",
                            "Nope",
                        ]
                    ),
                }
            ]
        params = {
            "operation": rng.choice(["", "delete", "void", "update"]),
            "query": rng.choice(["", "select", "x"]),
        }
        response = qbo.http.post(f"{qbo.base}{rng.choice(paths)}", json=body, params=params)
        assert response.status_code < 500, (body, response.text)
        qbo.advance(0.2)  # keep under the per-minute limit
    calls = requests.get(f"{qbo.url}/_sandbox/calls", timeout=5).json()["calls"]
    assert all(call["status"] < 500 for call in calls)
