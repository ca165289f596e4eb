"""Scripted Faults inside HTTP 200: the body carries the fault, nothing is applied."""

from __future__ import annotations

import requests

from .conftest import Qbo, sale_line


def test_a_scripted_fault_comes_inside_a_200_and_applies_nothing(qbo: Qbo) -> None:
    qbo.control("/faults_in_200", {"code": "3001", "count": 1, "path": "/salesreceipt$"})
    response = qbo.post("SalesReceipt", {"Line": [sale_line("2", 1, 18)]})
    assert response.status_code == 200
    fault = response.json()["Fault"]
    assert fault["Error"][0]["code"] == "3001"
    assert qbo.stock("BIN-LG-001") == 240
    assert qbo.state()["writes_applied"] == 0
    assert qbo.state()["operations"]["fault_in_200:3001"] == 1

    # Used up: the next call is answered normally.
    assert qbo.post("SalesReceipt", {"Line": [sale_line("2", 1, 18)]}).json()["SalesReceipt"]
    assert qbo.stock("BIN-LG-001") == 239


def test_only_matching_paths_get_it_and_bad_specs_are_refused(qbo: Qbo) -> None:
    qbo.control("/faults_in_200", {"code": "10000", "count": 2, "path": "/query"})
    assert "Item" in qbo.read("Item", "1").json()
    assert qbo.query("select * from Item").json()["Fault"]["type"] == "SystemFault"
    assert qbo.control("/faults_in_200")["faults_in_200"][0]["count"] == 1
    assert requests.delete(f"{qbo.url}/_sandbox/faults_in_200", timeout=5).json() == {"faults_in_200": []}
    assert "QueryResponse" in qbo.query("select * from Item").json()
    bad = requests.post(f"{qbo.url}/_sandbox/faults_in_200", json={"code": "42"}, timeout=5)
    assert bad.status_code == 400
