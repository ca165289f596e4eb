"""The per-realm request limit, every fault knob, and the inspection endpoint."""

from __future__ import annotations

import time

from .conftest import Qbo, fault_code, sale_line


def test_the_501st_request_in_a_minute_is_throttled_until_the_clock_moves(qbo: Qbo) -> None:
    for n in range(500):
        response = qbo.read("Item", "1")
        assert response.status_code == 200, n
    throttled = qbo.read("Item", "1")
    assert throttled.status_code == 429
    assert fault_code(throttled) == "3001"
    assert (
        throttled.json()["Fault"]["Error"][0]["Message"]
        == "message=ThrottleExceeded; errorCode=003001; statusCode=429"
    )
    assert int(throttled.headers["Retry-After"]) > 0
    qbo.advance(61)
    assert qbo.read("Item", "1").status_code == 200


def test_latency_knob(qbo: Qbo) -> None:
    qbo.control("/knobs", {"latency_ms": 150})
    started = time.monotonic()
    assert qbo.read("Item", "1").status_code == 200
    assert time.monotonic() - started >= 0.15


def test_error_knob_answers_quickbooks_system_fault_and_applies_nothing(qbo: Qbo) -> None:
    qbo.control("/knobs", {"error_rate": 1})
    response = qbo.post("SalesReceipt", {"Line": [sale_line("2", 1, 18)]})
    assert response.status_code == 500
    body = response.json()
    assert body["Fault"]["type"] == "SystemFault"
    assert body["Fault"]["Error"][0]["code"] == "10000"
    qbo.control("/knobs", {"error_rate": 0})
    assert qbo.stock("BIN-LG-001") == 240


def test_throttle_knob_answers_like_the_real_limit(qbo: Qbo) -> None:
    qbo.control("/knobs", {"throttle_rate": 1})
    response = qbo.query("select * from Item")
    assert response.status_code == 429
    assert fault_code(response) == "3001"


def test_timeout_knob_applies_nothing(qbo: Qbo) -> None:
    qbo.control("/knobs", {"timeout_rate": 1, "timeout_seconds": 0.2})
    response = qbo.post("SalesReceipt", {"Line": [sale_line("2", 1, 18)]})
    assert response.status_code == 504
    qbo.control("/knobs", {"timeout_rate": 0})
    assert qbo.stock("BIN-LG-001") == 240
    assert qbo.state()["writes_applied"] == 0


def test_lost_response_knob_applies_the_write(qbo: Qbo) -> None:
    qbo.control("/knobs", {"lost_response_rate": 1, "timeout_seconds": 0.2})
    response = qbo.post("SalesReceipt", {"Line": [sale_line("2", 1, 18)]})
    assert response.status_code == 504
    qbo.control("/knobs", {"lost_response_rate": 0})
    assert qbo.stock("BIN-LG-001") == 239
    assert qbo.state()["writes_applied"] == 1


def test_state_counts_match_what_was_done(qbo: Qbo) -> None:
    qbo.query("select * from Item")
    qbo.read("Item", "2")
    qbo.ok("Invoice", {"CustomerRef": {"value": "1"}, "Line": [sale_line("2", 5, 18)]})
    qbo.ok(
        "Bill", {"VendorRef": {"value": "1"}, "Line": [sale_line("3", 10, 5, "ItemBasedExpenseLineDetail")]}
    )
    qbo.http.get(f"{qbo.base}/cdc", params={"entities": "Item", "changedSince": "2026-01-01"})
    state = qbo.state()
    assert state["platform"] == "quickbooks"
    assert state["stock"]["BIN-LG-001"] == 235
    assert state["stock"]["BIN-MD-002"] == 320
    assert state["calls"] == {"query": 1, "read": 1, "write": 2, "cdc": 1}
    assert state["operations"]["create:Invoice"] == 1
    assert state["operations"]["create:Bill"] == 1
    assert state["writes_applied"] == 2
    items = {row["Sku"]: row for row in qbo.control("/items")["items"]}
    assert items["BIN-LG-001"]["QtyOnHand"] == 235
    assert items["GIFT-WRAP"]["Type"] == "NonInventory"
    assert len(items) == 48
