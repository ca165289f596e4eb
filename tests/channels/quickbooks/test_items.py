"""Reading the item master, customers and accounts, and creating items."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from channels.adapters.base import (
    ExternalItem,
    ItemKind,
    MasterAdapter,
    NewMasterItem,
    NotSupported,
    PermanentChannelError,
    platform,
)
from channels.adapters.quickbooks.adapter import QuickBooksAdapter

from .conftest import Qbo, Rig, make_rig


def test_registered_as_the_quickbooks_master(qbo: Qbo) -> None:
    spec = platform("quickbooks")
    adapter = spec.factory(qbo.config(), None)
    assert isinstance(adapter, MasterAdapter)
    assert spec.refresher is not None


def test_count_and_one_page_of_items_mapped(rig: Rig, qbo: Qbo) -> None:
    assert rig.adapter.count_items() == 48
    page = rig.adapter.fetch_items()
    assert page.next_cursor is None
    assert len(page.items) == 48
    by_sku = {item.sku: item for item in page.items}
    bin_large = by_sku["BIN-LG-001"]
    assert bin_large == ExternalItem(
        external_id="2",
        name="Storage bin, large",
        sku="BIN-LG-001",
        kind=ItemKind.INVENTORY,
        active=True,
        tracked=True,
        qty_on_hand=Decimal(240),
        updated_at=bin_large.updated_at,
        sync_token="0",
        description="Storage bin, large",
        cost=Decimal("6.5"),
        sales_price=Decimal(18),
        reorder_point=Decimal(40),
        preferred_vendor="Acme Storage Supply",
    )
    assert isinstance(bin_large.updated_at, datetime)
    assert bin_large.updated_at.utcoffset() is not None
    assert by_sku["GIFT-WRAP"].kind == ItemKind.NON_INVENTORY
    assert by_sku["GIFT-WRAP"].tracked is False
    assert by_sku["GIFT-WRAP"].qty_on_hand is None
    assert by_sku["ASSEMBLY"].kind == ItemKind.SERVICE
    assert qbo.state()["calls"] == {"query": 2}


def test_items_stream_a_page_at_a_time(qbo: Qbo) -> None:
    made = make_rig(qbo, page_size=10)
    seen: list[str] = []
    sizes = []
    cursor = None
    for _ in range(20):
        page = made.adapter.fetch_items(cursor=cursor)
        sizes.append(len(page.items))
        seen.extend(item.external_id for item in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sizes == [10, 10, 10, 10, 8]
    assert seen == [str(n) for n in range(1, 49)]
    assert qbo.state()["calls"]["query"] == 5
    statements = [url for url in made.urls if "query=" in url]
    assert "STARTPOSITION+41+MAXRESULTS+10" in statements[-1]
    with pytest.raises(PermanentChannelError):
        made.adapter.fetch_items(cursor="not-a-number")


def test_items_by_id_include_inactive_ones_and_use_a_batch_beyond_one_query(rig: Rig, qbo: Qbo) -> None:
    qbo.create(
        "Item", {"Id": "47", "SyncToken": "0", "sparse": True, "Name": "Gift wrapping", "Active": False}
    )
    items = rig.adapter.fetch_items_by_id(["2", "47", "2"])
    assert {i.external_id for i in items} == {"2", "47"}
    wrap = next(i for i in items if i.external_id == "47")
    assert wrap.active is False
    assert wrap.name == "Gift wrapping"  # not QuickBooks' "Gift wrapping (deleted)"
    assert qbo.state()["calls"].get("batch") is None

    many = [str(n) for n in range(1, 251)]  # 48 exist; three queries of 100 ids in one batch
    items = rig.adapter.fetch_items_by_id(many)
    assert sorted(int(i.external_id) for i in items) == list(range(1, 49))
    state = qbo.state()
    assert state["calls"]["batch"] == 1
    assert state["operations"]["batch:query:Item"] == 3
    assert rig.adapter.fetch_items_by_id([]) == []


def test_a_fault_in_a_batch_item_is_permanent(rig: Rig, qbo: Qbo) -> None:
    with pytest.raises(PermanentChannelError) as bad:
        rig.adapter._batch_queries(["SELECT * FROM Item", "SELECT * FROM Nothing"])
    assert bad.value.code == "4001"
    qbo.control("/faults_in_200", {"code": "3001", "count": 1, "path": "/batch"})
    assert len(rig.adapter.fetch_items_by_id([str(n) for n in range(1, 120)])) == 48  # retried


def test_customers_and_accounts(qbo: Qbo) -> None:
    made = make_rig(qbo, page_size=4)
    customers = []
    cursor = None
    for _ in range(10):
        page = made.adapter.fetch_customers(cursor=cursor)
        customers.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(customers) == 10
    assert customers[0].display_name == "Shopify Sales"
    assert customers[0].active is True
    assert customers[0].updated_at is not None

    accounts = made.adapter.fetch_accounts()  # pages of four, read to the end
    assert len(accounts) == 10
    names = {a.name: a.account_type for a in accounts}
    assert names["Inventory Asset"] == "Other Current Asset"
    assert names["Sales of Product Income"] == "Income"


def _account(adapter: QuickBooksAdapter, name: str) -> str:
    return next(a.external_id for a in adapter.fetch_accounts() if a.name == name)


def test_create_inventory_and_non_inventory_items(rig: Rig, qbo: Qbo) -> None:
    adapter = rig.adapter
    income = _account(adapter, "Sales of Product Income")
    created = adapter.create_item(
        NewMasterItem(
            name="Rattan tray",
            sku="TRAY-RAT-1",
            kind=ItemKind.INVENTORY,
            description="Rattan tray from Shopify",
            sales_price=Decimal("19.90"),
            cost=Decimal("7.25"),
            qty_on_hand=Decimal(12),
            income_account_id=income,
            expense_account_id=_account(adapter, "Cost of Goods Sold"),
            asset_account_id=_account(adapter, "Inventory Asset"),
            request_id="create-item:shop:1",
        )
    )
    assert created.kind == ItemKind.INVENTORY
    assert created.tracked is True
    assert created.qty_on_hand == Decimal(12)
    assert created.sales_price == Decimal("19.9")
    assert qbo.stock("TRAY-RAT-1") == 12

    ribbon = adapter.create_item(
        NewMasterItem(name="Ribbon", sku="RIBBON", kind=ItemKind.NON_INVENTORY, income_account_id=income)
    )
    assert ribbon.kind == ItemKind.NON_INVENTORY
    assert ribbon.tracked is False
    assert qbo.count("Item") == 50


def test_create_item_faults_keep_their_code(rig: Rig) -> None:
    adapter = rig.adapter
    income = _account(adapter, "Sales of Product Income")
    with pytest.raises(PermanentChannelError) as duplicate:
        adapter.create_item(
            NewMasterItem(
                name="storage bin, LARGE", sku="X", kind=ItemKind.NON_INVENTORY, income_account_id=income
            )
        )
    assert duplicate.value.code == "6240"
    with pytest.raises(PermanentChannelError) as no_asset:
        adapter.create_item(
            NewMasterItem(name="No asset account", sku="Y", kind=ItemKind.INVENTORY, income_account_id=income)
        )
    assert no_asset.value.code == "2020"
    with pytest.raises(NotSupported):
        adapter.create_item(NewMasterItem(name="Bundle", sku="Z", kind=ItemKind.OTHER))


def test_create_item_survives_a_lost_response_without_a_second_item(qbo: Qbo) -> None:
    made = make_rig(qbo, timeout=0.3)
    qbo.control("/knobs", {"timeout_seconds": 0.6})
    qbo.fault("lost", count=1, path="/item$", method="POST")
    income = _account(made.adapter, "Sales of Product Income")
    item = made.adapter.create_item(
        NewMasterItem(
            name="Jute rug",
            sku="RUG-JUTE",
            kind=ItemKind.NON_INVENTORY,
            income_account_id=income,
            request_id="rug-1",
        )
    )
    assert item.name == "Jute rug"
    state = qbo.state()
    assert state["operations"]["create:Item"] == 1
    assert state["operations"]["replay"] == 1
    assert state["writes_applied"] == 1
    assert state["writes_applied_twice"] == []
    assert qbo.count("Item") == 49
