"""What the hub's sync leans on: requestid idempotency, change data capture and batch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import requests

from .conftest import Qbo, fault_code, sale_line


def test_repeated_requestid_returns_the_first_response_and_applies_once(qbo: Qbo) -> None:
    body = {"Line": [sale_line("2", 4, 18)]}
    first = qbo.post("SalesReceipt", body, requestid="order-1001")
    second = qbo.post("SalesReceipt", body, requestid="order-1001")
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert qbo.stock("BIN-LG-001") == 236
    state = qbo.state()
    assert state["writes_applied"] == 1
    assert state["writes_applied_twice"] == []
    assert state["calls"]["write"] == 2
    third = qbo.post("SalesReceipt", body, requestid="order-1002")
    assert third.json()["SalesReceipt"]["Id"] != first.json()["SalesReceipt"]["Id"]
    assert qbo.stock("BIN-LG-001") == 232


def test_a_fault_is_replayed_too(qbo: Qbo) -> None:
    bad = {"Line": [sale_line("9999", 1, 1)]}
    first = qbo.post("SalesReceipt", bad, requestid="bad-1")
    again = qbo.post("SalesReceipt", {"Line": [sale_line("2", 1, 18)]}, requestid="bad-1")
    assert first.status_code == again.status_code == 400
    assert again.content == first.content
    assert qbo.stock("BIN-LG-001") == 240
    too_long = qbo.post("SalesReceipt", bad, requestid="x" * 51)
    assert fault_code(too_long) == "6000"


def test_lost_response_then_retry_with_the_same_requestid(qbo: Qbo) -> None:
    qbo.control("/knobs", {"timeout_seconds": 0.2})
    qbo.control("/faults", {"kind": "lost", "method": "POST", "path": "/salesreceipt"})
    body = {"Line": [sale_line("2", 2, 18)]}
    lost = qbo.post("SalesReceipt", body, requestid="retry-me")
    assert lost.status_code == 504
    retried = qbo.post("SalesReceipt", body, requestid="retry-me")
    assert retried.status_code == 200
    assert qbo.stock("BIN-LG-001") == 238
    assert qbo.state()["writes_applied"] == 1
    assert len(qbo.rows("SELECT * FROM SalesReceipt")) == 1


def test_cdc_reports_changes_and_deletions_since_a_time(qbo: Qbo) -> None:
    qbo.advance(60)
    since = qbo.control("/clock")["now"]
    qbo.advance(1)
    receipt = qbo.ok("SalesReceipt", {"Line": [sale_line("2", 1, 18)]})
    gone = qbo.ok("Invoice", {"CustomerRef": {"value": "2"}, "Line": [sale_line("3", 1, 14)]})
    qbo.ok("Invoice", {"Id": gone["Id"], "SyncToken": gone["SyncToken"]}, operation="delete")
    response = qbo.http.get(
        f"{qbo.base}/cdc", params={"entities": "Item,SalesReceipt,Invoice,Bill", "changedSince": since}
    )
    assert response.status_code == 200
    [block] = response.json()["CDCResponse"]
    by_entity = {k: v for part in block["QueryResponse"] for k, v in part.items() if isinstance(v, list)}
    assert sorted(i["Id"] for i in by_entity["Item"]) == ["2", "3"]
    assert [r["Id"] for r in by_entity["SalesReceipt"]] == [receipt["Id"]]
    [deleted] = by_entity["Invoice"]
    assert deleted["Id"] == gone["Id"]
    assert deleted["status"] == "Deleted"
    assert "Bill" not in by_entity
    assert {} in block["QueryResponse"]  # Bill: nothing changed

    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    quiet = qbo.http.get(f"{qbo.base}/cdc", params={"entities": "Item", "changedSince": future}).json()
    assert quiet["CDCResponse"] == [{"QueryResponse": [{}]}]


def test_cdc_refuses_more_than_30_days_and_bad_arguments(qbo: Qbo) -> None:
    old = (datetime.now(UTC) - timedelta(days=31)).isoformat()
    response = qbo.http.get(f"{qbo.base}/cdc", params={"entities": "Item", "changedSince": old})
    assert response.status_code == 400
    assert "older than fixed days" in response.json()["Fault"]["Error"][0]["Detail"]
    for params in (
        {"entities": "Item"},
        {"changedSince": old},
        {"entities": "Item", "changedSince": "yesterday"},
    ):
        assert qbo.http.get(f"{qbo.base}/cdc", params=params).status_code == 400
    unknown = qbo.http.get(f"{qbo.base}/cdc", params={"entities": "Widget", "changedSince": "2026-01-01"})
    assert unknown.status_code == 400


def test_cdc_returns_at_most_1000_objects(qbo: Qbo) -> None:
    qbo.advance(1)  # past the seeding second: the clock reads whole seconds
    since = qbo.control("/clock")["now"]
    for start in range(0, 1020, 30):
        items = [
            {"bId": str(n), "operation": "create", "Customer": {"DisplayName": f"Buyer {n:04d}"}}
            for n in range(start, min(start + 30, 1020))
        ]
        qbo.control("/clock", {"advance": 2})  # stay inside the 40 batches a minute
        assert qbo.http.post(f"{qbo.base}/batch", json={"BatchItemRequest": items}).status_code == 200
    body = qbo.http.get(f"{qbo.base}/cdc", params={"entities": "Customer", "changedSince": since}).json()
    [part] = body["CDCResponse"][0]["QueryResponse"]
    assert len(part["Customer"]) == 1000
    assert part["Customer"][0]["DisplayName"] == "Buyer 0000"


def test_batch_mixes_writes_queries_and_faults(qbo: Qbo) -> None:
    request = {
        "BatchItemRequest": [
            {"bId": "1", "operation": "create", "SalesReceipt": {"Line": [sale_line("2", 2, 18)]}},
            {"bId": "2", "Query": "select * from Item where Sku = 'BIN-LG-001'"},
            {"bId": "3", "operation": "update", "Item": {"Id": "3", "SyncToken": "7", "sparse": True}},
            {
                "bId": "4",
                "operation": "create",
                "Item": {"Name": "Storage bin, large", "Type": "Service", "IncomeAccountRef": {"value": "5"}},
            },
        ]
    }
    response = qbo.http.post(f"{qbo.base}/batch", json=request, params={"requestid": "batch-1"})
    assert response.status_code == 200
    results = {r["bId"]: r for r in response.json()["BatchItemResponse"]}
    assert results["1"]["SalesReceipt"]["TotalAmt"] == 36
    assert results["2"]["QueryResponse"]["Item"][0]["QtyOnHand"] == 238
    assert results["3"]["Fault"]["Error"][0]["code"] == "5010"
    assert results["4"]["Fault"]["Error"][0]["code"] == "6240"
    again = qbo.http.post(f"{qbo.base}/batch", json=request, params={"requestid": "batch-1"})
    assert again.content == response.content
    assert qbo.stock("BIN-LG-001") == 238
    assert qbo.state()["writes_applied"] == 1


def test_batch_of_more_than_30_is_refused_whole(qbo: Qbo) -> None:
    items = [{"bId": str(n), "Query": "select * from Item maxresults 1"} for n in range(31)]
    response = qbo.http.post(f"{qbo.base}/batch", json={"BatchItemRequest": items})
    assert response.status_code == 400
    assert fault_code(response) == "1000"
    thirty = qbo.http.post(f"{qbo.base}/batch", json={"BatchItemRequest": items[:30]})
    assert len(thirty.json()["BatchItemResponse"]) == 30


def test_batch_limit_of_40_a_minute(qbo: Qbo) -> None:
    items = {"BatchItemRequest": [{"bId": "1", "Query": "select count(*) from Item"}]}
    statuses = [qbo.http.post(f"{qbo.base}/batch", json=items).status_code for _ in range(41)]
    assert statuses[:40] == [200] * 40
    assert statuses[40] == 429
    qbo.advance(61)
    assert qbo.http.post(f"{qbo.base}/batch", json=items).status_code == 200


def test_unauthenticated_batch_is_refused(qbo: Qbo) -> None:
    response = requests.post(f"{qbo.base}/batch", json={"BatchItemRequest": []}, timeout=5)
    assert response.status_code == 401
