"""Change Data Capture and the items named on transactions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import requests

from channels.adapters.base import NotSupported
from channels.sandbox.quickbooks import operations

from .conftest import Qbo, Rig


def _line(item_id: str, qty: float, price: float, detail: str) -> dict:
    return {
        "DetailType": detail,
        "Amount": round(qty * price, 2),
        detail: {"ItemRef": {"value": item_id}, "Qty": qty, "UnitPrice": price},
    }


def _now(qbo: Qbo) -> datetime:
    # The control answers whole seconds; a second on puts it after everything done so far.
    return datetime.fromisoformat(qbo.control("/clock")["now"].replace("Z", "+00:00")) + timedelta(seconds=1)


def test_cdc_picks_up_a_bill_created_through_the_api(rig: Rig, qbo: Qbo) -> None:
    since = _now(qbo)
    assert rig.adapter.fetch_changes(since=since).items == []

    qbo.advance(5)
    bill = qbo.create(
        "Bill",
        {
            "VendorRef": {"value": "1"},
            "Line": [
                _line("3", 10, 5.1, "ItemBasedExpenseLineDetail"),
                _line("4", 20, 3.2, "ItemBasedExpenseLineDetail"),
            ],
        },
    )
    changes = rig.adapter.fetch_changes(since=since)
    assert changes.affected_item_ids == frozenset({"3", "4"})
    moved = {item.external_id: item for item in changes.items}
    assert moved["3"].qty_on_hand == Decimal(320)
    assert moved["4"].qty_on_hand == Decimal(440)
    assert changes.cursor.utcoffset() is not None
    assert changes.cursor > since  # the answer's time, after the bill

    # From the cursor on, nothing is new until the next change.
    assert rig.adapter.fetch_changes(since=changes.cursor).affected_item_ids == frozenset()

    qbo.advance(5)
    qbo.create(
        "Bill",
        {"Id": bill["Id"], "SyncToken": bill["SyncToken"], "sparse": True, "Line": [bill["Line"][0]]},
    )
    again = rig.adapter.fetch_changes(since=changes.cursor)
    assert again.affected_item_ids == frozenset({"3"})
    assert {i.external_id: i.qty_on_hand for i in again.items} == {"4": Decimal(420)}


def test_cdc_covers_every_stock_moving_transaction(rig: Rig, qbo: Qbo) -> None:
    since = _now(qbo)
    qbo.advance(2)
    sale = _line("5", 1, 3.5, "SalesItemLineDetail")
    qbo.create("SalesReceipt", {"Line": [sale]})
    qbo.create(
        "Invoice", {"CustomerRef": {"value": "1"}, "Line": [_line("6", 1, 7.5, "SalesItemLineDetail")]}
    )
    qbo.create(
        "CreditMemo", {"CustomerRef": {"value": "1"}, "Line": [_line("7", 1, 39, "SalesItemLineDetail")]}
    )
    qbo.create(
        "RefundReceipt",
        {"DepositToAccountRef": {"value": "9"}, "Line": [_line("8", 1, 54, "SalesItemLineDetail")]},
    )
    qbo.create(
        "Purchase",
        {
            "AccountRef": {"value": "9"},
            "PaymentType": "Cash",
            "Line": [_line("9", 1, 2, "ItemBasedExpenseLineDetail")],
        },
    )
    qbo.create(
        "VendorCredit",
        {"VendorRef": {"value": "1"}, "Line": [_line("10", 1, 3.6, "ItemBasedExpenseLineDetail")]},
    )
    qbo.create(
        "InventoryAdjustment",
        {
            "AdjustAccountRef": {"value": "10"},
            "Line": [
                {
                    "DetailType": "ItemAdjustmentLineDetail",
                    "ItemAdjustmentLineDetail": {"ItemRef": {"value": "11"}, "QtyDiff": -2},
                }
            ],
        },
    )
    changes = rig.adapter.fetch_changes(since=since)
    assert changes.affected_item_ids == frozenset({str(n) for n in range(5, 12)})


def test_more_than_a_thousand_changes_are_read_to_the_end(rig: Rig, qbo: Qbo) -> None:
    """QuickBooks answers the oldest 1000 changes; the adapter goes on from the newest it saw."""
    since = _now(qbo)
    platform = qbo.platform
    start = _now(qbo) + timedelta(seconds=10)
    with platform.lock:  # 1200 changes straight into the books: the API would take minutes
        for n in range(1200):
            operations.create(
                platform.books,
                "SalesReceipt",
                {"Line": [_line(str(2 + n % 40), 1, 1, "SalesItemLineDetail")]},
                start + timedelta(milliseconds=10 * n),
            )
        platform.books.drain_changes()
    qbo.advance(30)
    changes = rig.adapter.fetch_changes(since=since)
    assert changes.affected_item_ids == frozenset(str(n) for n in range(2, 42))
    assert len(changes.items) == 40
    assert qbo.state()["calls"]["cdc"] == 2  # 1240 changed objects: a full answer, then the rest
    assert changes.cursor >= start + timedelta(seconds=12)


def test_cdc_refuses_more_than_30_days_back(rig: Rig, qbo: Qbo) -> None:
    from channels.adapters.base import PermanentChannelError

    with pytest.raises(PermanentChannelError):
        rig.adapter.fetch_changes(since=datetime.now(UTC) - timedelta(days=40))


def test_items_on_a_transaction(rig: Rig, qbo: Qbo) -> None:
    bill = qbo.create(
        "Bill",
        {
            "VendorRef": {"value": "2"},
            "Line": [
                _line("7", 2, 14, "ItemBasedExpenseLineDetail"),
                _line("8", 1, 19, "ItemBasedExpenseLineDetail"),
            ],
        },
    )
    assert rig.adapter.items_on_transaction("Bill", bill["Id"]) == frozenset({"7", "8"})
    # Deleted since the notification: nothing to read, no failure (CDC reports the stock).
    requests.post(
        f"{qbo.url}/v3/company/{qbo.realm}/bill",
        params={"operation": "delete", "minorversion": "75"},
        json={"Id": bill["Id"], "SyncToken": bill["SyncToken"]},
        headers={"Authorization": f"Bearer {qbo.creds['access_token']}"},
        timeout=5,
    ).raise_for_status()
    assert rig.adapter.items_on_transaction("Bill", bill["Id"]) == frozenset()
    with pytest.raises(NotSupported):
        rig.adapter.items_on_transaction("Customer", "1")
