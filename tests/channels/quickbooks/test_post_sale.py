"""Posting sales: one SalesReceipt or Invoice per posting, written once whatever fails on the way."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from channels.adapters.base import (
    PermanentChannelError,
    PostedSale,
    SaleKind,
    SaleLine,
    SalePosting,
    TransientChannelError,
)

from .conftest import Qbo, Rig, make_rig

UNDEPOSITED_FUNDS = "4"


def _posting(
    request_id: str = "posting-1", kind: SaleKind = SaleKind.SALES_RECEIPT, **changes: Any
) -> SalePosting:
    values: dict[str, Any] = {
        "kind": kind,
        "request_id": request_id,
        "customer_external_id": "1",
        "txn_date": date(2026, 11, 20),
        "doc_number": "PO-1001",
        "lines": (
            SaleLine("2", Decimal(3), Decimal("54.00"), "Storage bin, large"),
            SaleLine("3", Decimal(2), Decimal("28.00")),
            SaleLine("48", Decimal(1), Decimal("-2.50"), "Fees of payout 1001"),
        ),
        "memo": "Shop: 4 order(s), 5 unit(s)",
        "deposit_account_external_id": UNDEPOSITED_FUNDS,
    }
    values.update(changes)
    return SalePosting(**values)


def _receipts(qbo: Qbo, entity: str = "SalesReceipt") -> list[dict[str, Any]]:
    return qbo.rows(entity)


def _write_log(qbo: Qbo) -> dict[str, Any]:
    state = qbo.state()
    return {
        "write_calls": state["calls"].get("write", 0),
        "created": state["operations"].get("create:SalesReceipt", 0),
        "replays": state["operations"].get("replay", 0),
        "writes_applied": state["writes_applied"],
        "writes_applied_twice": state["writes_applied_twice"],
    }


def test_a_sales_receipt_with_every_field_in_one_call(rig: Rig, qbo: Qbo) -> None:
    posted = rig.adapter.post_sale(_posting())
    assert posted == PostedSale(external_id=posted.external_id, doc_number="PO-1001", total=Decimal("79.5"))
    [receipt] = _receipts(qbo)
    assert receipt["Id"] == posted.external_id
    assert receipt["TxnDate"] == "2026-11-20"
    assert receipt["CustomerRef"]["value"] == "1"
    assert receipt["PrivateNote"] == "Shop: 4 order(s), 5 unit(s)"
    assert receipt["DepositToAccountRef"]["value"] == UNDEPOSITED_FUNDS
    lines = [line for line in receipt["Line"] if line["DetailType"] == "SalesItemLineDetail"]
    assert [
        (ln["SalesItemLineDetail"]["ItemRef"]["value"], ln["SalesItemLineDetail"]["Qty"], ln["Amount"])
        for ln in lines
    ] == [
        ("2", 3, 54),
        ("3", 2, 28),
        ("48", 1, -2.5),
    ]
    assert lines[0]["Description"] == "Storage bin, large"
    assert qbo.stock("BIN-LG-001") == 237
    assert qbo.stock("BIN-MD-002") == 308
    assert _write_log(qbo) == {
        "write_calls": 1,
        "created": 1,
        "replays": 0,
        "writes_applied": 1,
        "writes_applied_twice": [],
    }


def test_many_orders_summed_are_still_one_call(rig: Rig, qbo: Qbo) -> None:
    lines = tuple(SaleLine(str(n), Decimal(n % 4 + 1), Decimal(n % 4 + 1) * 7) for n in range(1, 47))
    posted = rig.adapter.post_sale(_posting(lines=lines))
    assert posted.total == sum((line.amount for line in lines), Decimal(0))
    assert qbo.state()["calls"] == {"write": 1}


def test_amounts_that_are_not_a_clean_unit_price_still_post(rig: Rig, qbo: Qbo) -> None:
    lines = (
        SaleLine("2", Decimal(3), Decimal("10.00")),  # 3.3333333 a unit
        SaleLine("3", Decimal(300000), Decimal("1.00")),  # no 7-decimal price fits: QuickBooks derives it
        SaleLine("4", Decimal("2.5"), Decimal("8.75")),  # fractional quantity
    )
    posted = rig.adapter.post_sale(_posting(lines=lines, deposit_account_external_id=""))
    assert posted.total == Decimal("19.75")
    assert qbo.stock("BIN-SM-003") == Decimal("417.5")


def test_an_invoice_per_order(rig: Rig, qbo: Qbo) -> None:
    posted = rig.adapter.post_sale(
        _posting(
            "order-77", SaleKind.INVOICE, doc_number="OR-77", lines=(SaleLine("5", Decimal(4), Decimal(14)),)
        )
    )
    [invoice] = _receipts(qbo, "Invoice")
    assert invoice["Id"] == posted.external_id
    assert invoice["DocNumber"] == "OR-77"
    assert "DepositToAccountRef" not in invoice
    assert qbo.stock("BIN-LID-004") == 496


def test_server_errors_are_retried_and_the_receipt_is_written_once(rig: Rig, qbo: Qbo) -> None:
    qbo.fault("error", count=2, path="/salesreceipt$", method="POST")
    rig.adapter.post_sale(_posting())
    assert len(_receipts(qbo)) == 1
    assert _write_log(qbo) == {
        "write_calls": 3,
        "created": 1,
        "replays": 0,
        "writes_applied": 1,
        "writes_applied_twice": [],
    }


def test_a_timeout_is_retried_and_the_receipt_is_written_once(qbo: Qbo) -> None:
    made = make_rig(qbo, timeout=0.3)
    qbo.control("/knobs", {"timeout_seconds": 0.6})
    qbo.fault("timeout", count=1, path="/salesreceipt$", method="POST")
    made.adapter.post_sale(_posting())
    assert len(_receipts(qbo)) == 1
    assert qbo.stock("BIN-LG-001") == 237
    assert _write_log(qbo)["writes_applied_twice"] == []


def test_a_lost_response_is_replayed_by_requestid_not_posted_again(qbo: Qbo) -> None:
    made = make_rig(qbo, timeout=0.3)
    qbo.control("/knobs", {"timeout_seconds": 0.6})
    qbo.fault("lost", count=1, path="/salesreceipt$", method="POST")
    posted = made.adapter.post_sale(_posting())
    [receipt] = _receipts(qbo)
    assert receipt["Id"] == posted.external_id
    assert qbo.stock("BIN-LG-001") == 237  # moved once
    assert _write_log(qbo) == {
        "write_calls": 2,
        "created": 1,
        "replays": 1,
        "writes_applied": 1,
        "writes_applied_twice": [],
    }


def test_a_job_run_again_with_the_same_request_id_gets_the_same_receipt(rig: Rig, qbo: Qbo) -> None:
    first = rig.adapter.post_sale(_posting("payout-1001"))
    again = rig.adapter.post_sale(_posting("payout-1001"))
    assert again == first
    assert len(_receipts(qbo)) == 1
    other = rig.adapter.post_sale(_posting("payout-1002", doc_number="PO-1002"))
    assert other.external_id != first.external_id
    assert _write_log(qbo)["writes_applied"] == 2


def test_failing_so_long_that_the_job_must_retry_later_still_writes_once(qbo: Qbo) -> None:
    made = make_rig(qbo, timeout=0.3, max_attempts=2)
    qbo.control("/knobs", {"timeout_seconds": 0.6})
    qbo.fault("lost", count=1, path="/salesreceipt$", method="POST")
    qbo.fault("error", count=1, path="/salesreceipt$", method="POST")
    with pytest.raises(TransientChannelError):
        made.adapter.post_sale(_posting())
    assert qbo.stock("BIN-LG-001") == 237  # the lost write was applied
    made.adapter.post_sale(_posting())  # the job's retry, later: same request id
    assert len(_receipts(qbo)) == 1
    assert _write_log(qbo)["writes_applied_twice"] == []


def test_under_random_faults_every_posting_is_written_exactly_once(qbo: Qbo) -> None:
    made = make_rig(qbo, timeout=0.25, max_attempts=10)
    qbo.control(
        "/knobs",
        {
            "error_rate": 0.2,
            "lost_response_rate": 0.15,
            "throttle_rate": 0.1,
            "timeout_seconds": 0.4,
            "seed": 11,
        },
    )
    postings = [
        _posting(f"payout-{n}", doc_number=f"PO-{n}", lines=(SaleLine(str(2 + n), Decimal(1), Decimal(10)),))
        for n in range(12)
    ]
    for posting in postings:
        made.adapter.post_sale(posting)
    qbo.control("/knobs", {"error_rate": 0, "lost_response_rate": 0, "throttle_rate": 0})
    assert len(_receipts(qbo)) == 12
    log = _write_log(qbo)
    assert log["created"] == 12
    assert log["writes_applied"] == 12
    assert log["writes_applied_twice"] == []
    assert log["write_calls"] > 12  # the faults really happened


def test_a_validation_fault_is_permanent_and_keeps_the_body(rig: Rig, qbo: Qbo) -> None:
    with pytest.raises(PermanentChannelError) as refused:
        rig.adapter.post_sale(_posting(lines=(SaleLine("999", Decimal(1), Decimal(5)),)))
    assert refused.value.code == "2500"
    assert "Invalid Reference Id" in (refused.value.raw or "")
    assert qbo.state()["calls"]["write"] == 1
    assert _receipts(qbo) == []
