"""One-time imports (issue 6) and the sync preview, against the emulators over HTTP: master items
and customers from QuickBooks, listings from Shopify and WooCommerce auto-matched on exact codes,
creating in QuickBooks what the channels sell and it lacks; counts, progress, skip reasons,
re-runs that change nothing, and failures that leave a clear message and allow a retry."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import requests
from django.urls import reverse

from channels import imports
from channels.imports import run_import
from channels.models import (
    Connection,
    ConnectionKind,
    ConnectionRole,
    ConnectionStatus,
    ImportKind,
    ImportRun,
    Listing,
    RunStatus,
)
from channels.preview import preview_sync
from channels.sandbox.shopify.storefront import ShopifyStorefront
from channels.sync import catch_up_orders
from inventory_sync.models import Customer, Item, ItemType, Role, StockMovement
from mapping.models import Matching
from tests.factories import ConnectionFactory, MembershipFactory, MerchantFactory
from tests.inventory_sync.test_postings import qbo_connection

pytestmark = pytest.mark.django_db


class Books:
    """The QuickBooks emulator as an accountant sees it, with the seeded company's token."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.creds = requests.get(url + "/_sandbox/credentials", timeout=5).json()

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method,
            f"{self.url}/v3/company/{self.creds['realm_id']}/{path}",
            headers={"Authorization": f"Bearer {self.creds['access_token']}", "Accept": "application/json"},
            params={"minorversion": "75", **kwargs.pop("params", {})},
            timeout=30,
            **kwargs,
        )

    def create(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.api("POST", entity.lower(), json=body)
        assert response.status_code == 200, response.text
        return response.json()[entity]

    def items(self, where: str = "") -> list[dict[str, Any]]:
        statement = "SELECT * FROM Item" + (f" WHERE {where}" if where else "") + " MAXRESULTS 1000"  # noqa: S608
        return self.api("GET", "query", params={"query": statement}).json()["QueryResponse"].get("Item", [])

    def account(self, name: str) -> str:
        rows = self.api("GET", "query", params={"query": f"SELECT * FROM Account WHERE Name = '{name}'"})  # noqa: S608
        return rows.json()["QueryResponse"]["Account"][0]["Id"]


def run(connection: Connection, kind: str, **options: Any) -> ImportRun:
    return run_import(
        ImportRun.objects.create(
            merchant=connection.merchant, connection=connection, kind=kind, options=options
        ).pk
    )


def counts(run: ImportRun) -> tuple[str, int, int, int, int, int]:
    return (run.status, run.processed, run.created, run.updated, run.unchanged, run.skipped)


@pytest.fixture
def books(qbo_sandbox) -> Books:
    return Books(qbo_sandbox.url)


@pytest.fixture
def master(books: Books) -> Connection:
    return qbo_connection(MerchantFactory(), books.url, books.creds)


@pytest.fixture
def shop(master: Connection, shopify_sandbox) -> Connection:
    creds = shopify_sandbox.platform.credentials()
    requests.post(shopify_sandbox.url + "/_sandbox/plan", json={"rest_leak_rate": 0}, timeout=10)
    return ConnectionFactory(
        merchant=master.merchant,
        kind=ConnectionKind.SHOPIFY,
        role=ConnectionRole.CHANNEL,
        name="Shopify",
        base_url=shopify_sandbox.url,
        external_account_id=creds["shop_domain"],
        credentials={"access_token": creds["access_token"]},
        webhook_secret=creds["api_secret"],
    )


def shopify_products(connection: Connection, *products: dict[str, Any]) -> None:
    response = requests.post(
        connection.base_url + "/_sandbox/products", json={"products": list(products)}, timeout=10
    )
    assert response.status_code == 201, response.text


# ------------------------------------------------------------------------------------------
# Master items and customers


def test_master_items_import_brings_every_field_skips_groups_and_a_rerun_changes_nothing(
    books: Books, master: Connection
) -> None:
    books.create(
        "Item",
        {
            "Name": "Bin starter kit",
            "Type": "Group",
            "Sku": "KIT-BIN-3",
        },
    )

    first = run(master, ImportKind.MASTER_ITEMS)

    assert counts(first) == (RunStatus.DONE, 49, 48, 0, 0, 1)
    assert (first.total, first.percent) == (49, 100)
    assert first.finished_at is not None and first.started_at is not None
    [skip] = first.skip_reasons
    assert "Bin starter kit" in skip["reason"] and "holds no stock of its own" in skip["reason"]
    sample = Item.objects.get(merchant=master.merchant, sku="SAMPLE-BIN")
    qbo_sample = books.items("Sku = 'SAMPLE-BIN'")[0]
    assert (
        sample.master_id,
        sample.name,
        sample.description,
        sample.type,
        sample.preferred_vendor,
        sample.cost,
        sample.sales_price,
        sample.reorder_point,
        sample.master_on_hand,
        sample.tracked,
    ) == (
        qbo_sample["Id"],
        "Sample storage bin",
        "Sample storage bin",
        ItemType.INVENTORY,
        "Acme Storage Supply",
        Decimal("4.00"),
        Decimal("12.00"),
        Decimal(500),
        Decimal(3900),
        True,
    )
    assert Item.objects.get(merchant=master.merchant, sku="GIFT-WRAP").type == ItemType.NON_INVENTORY
    assert Item.objects.get(merchant=master.merchant, name="Assembly service").type == ItemType.SERVICE
    ledger = StockMovement.objects.filter(merchant=master.merchant).count()

    again = run(master, ImportKind.MASTER_ITEMS)

    assert counts(again) == (RunStatus.DONE, 49, 0, 0, 48, 1)
    assert Item.objects.filter(merchant=master.merchant).count() == 48
    assert StockMovement.objects.filter(merchant=master.merchant).count() == ledger

    # QuickBooks changes a price and receives stock: the next run updates those two, no more.
    lg = books.items("Sku = 'BIN-LG-001'")[0]
    books.create("Item", {"Id": lg["Id"], "SyncToken": lg["SyncToken"], "sparse": True, "UnitPrice": 19})
    md = books.items("Sku = 'BIN-MD-002'")[0]
    books.create(
        "Bill",
        {
            "VendorRef": {"value": "1"},
            "Line": [
                {
                    "DetailType": "ItemBasedExpenseLineDetail",
                    "Amount": 50,
                    "ItemBasedExpenseLineDetail": {"ItemRef": {"value": md["Id"]}, "Qty": 10, "UnitPrice": 5},
                }
            ],
        },
    )

    third = run(master, ImportKind.MASTER_ITEMS)

    assert counts(third) == (RunStatus.DONE, 49, 0, 2, 46, 1)
    assert Item.objects.get(merchant=master.merchant, sku="BIN-LG-001").sales_price == 19
    assert Item.objects.get(merchant=master.merchant, sku="BIN-MD-002").master_on_hand == 320
    # History: every run kept with its own result.
    assert list(
        ImportRun.objects.filter(connection=master).order_by("pk").values_list("created", "updated")
    ) == [(48, 0), (0, 0), (0, 2)]


def test_customers_import_and_rerun(master: Connection) -> None:
    first = run(master, ImportKind.MASTER_CUSTOMERS)
    again = run(master, ImportKind.MASTER_CUSTOMERS)

    assert counts(first) == (RunStatus.DONE, 10, 10, 0, 0, 0)
    assert counts(again) == (RunStatus.DONE, 10, 0, 0, 10, 0)
    assert Customer.objects.filter(merchant=master.merchant, display_name="Shopify Sales").count() == 1


def test_a_large_import_streams_page_by_page_and_reports_progress_after_each(
    books: Books, master: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded = requests.post(
        books.url + "/_sandbox/items", json={"count": 2_100, "prefix": "BULK", "qty": 7}, timeout=60
    )
    assert seeded.status_code == 201, seeded.text
    assert seeded.json()["created"] == 2_100
    assert books.items("Sku = 'BULK-002099'")[0]["QtyOnHand"] == 7
    seen: list[tuple[int | None, int]] = []
    report = imports._progress

    def spy(run_row: ImportRun, **kwargs: Any) -> None:
        report(run_row, **kwargs)
        row = ImportRun.objects.get(pk=run_row.pk)  # what the progress bar reads meanwhile
        seen.append((row.total, row.processed))

    monkeypatch.setattr(imports, "_progress", spy)

    result = run(master, ImportKind.MASTER_ITEMS)

    assert counts(result) == (RunStatus.DONE, 2_148, 2_148, 0, 0, 0)
    assert seen == [(2_148, 1000), (2_148, 2000), (2_148, 2_148)]
    assert Item.objects.get(merchant=master.merchant, sku="BULK-001234").master_on_hand == 7
    assert requests.post(books.url + "/_sandbox/items", json={"count": 0}, timeout=5).status_code == 400


def test_an_import_with_a_revoked_authorisation_fails_clearly_and_a_new_run_works(
    books: Books, master: Connection
) -> None:
    good = dict(master.credentials)
    master.credentials = {**good, "expires_at": "2020-01-01T00:00:00+00:00", "refresh_token": "revoked"}
    master.save()

    failed = run(master, ImportKind.MASTER_ITEMS)

    assert failed.status == RunStatus.FAILED
    assert "connect QuickBooks again" in failed.error
    assert not Item.objects.filter(merchant=master.merchant).exists()

    Connection.objects.filter(pk=master.pk).update(credentials=good, status=ConnectionStatus.ACTIVE)
    assert run(master, ImportKind.MASTER_ITEMS).created == 48


def test_only_admins_start_imports(client, master: Connection) -> None:
    staff = MembershipFactory(merchant=master.merchant, role=Role.STAFF)
    client.force_login(staff.user)

    answer = client.post(reverse("imports"), {"kind": ImportKind.MASTER_ITEMS, "connection": master.pk})

    assert answer.status_code == 403
    assert not ImportRun.objects.exists()
    admin = MembershipFactory(merchant=master.merchant, role=Role.ADMIN)
    client.force_login(admin.user)
    answer = client.post(reverse("imports"), {"kind": ImportKind.MASTER_ITEMS, "connection": master.pk})
    started = ImportRun.objects.get()
    assert answer.status_code == 302 and answer.url == reverse("import-detail", args=[started.pk])
    assert started.started_by == admin.user


# ------------------------------------------------------------------------------------------
# Listings, and creating what QuickBooks lacks


def test_listings_are_matched_on_exact_codes_and_a_listing_without_a_code_is_skipped(
    master: Connection, shop: Connection
) -> None:
    run(master, ImportKind.MASTER_ITEMS)
    shopify_products(shop, {"title": "Mystery box", "variants": [{"sku": "", "available": 3}]})

    first = run(shop, ImportKind.CHANNEL_LISTINGS)

    assert counts(first) == (RunStatus.DONE, 45, 44, 0, 0, 1)
    [skip] = first.skip_reasons
    assert "Mystery box: no SKU" in skip["reason"] and "cannot be matched" in skip["reason"]
    listings = Listing.objects.filter(connection=shop)
    unmatched = sorted(listings.filter(item__isnull=True).values_list("sku", flat=True))
    assert unmatched == ["CANDLE-SOY-01", "HOOK-STEL-10", "SHELF-BRKT-2"]  # typos wait for staff
    tray = listings.get(sku="org-tray-s")  # another case, still the same code
    assert tray.item.sku == "ORG-TRAY-S"
    assert listings.get(sku="MUG-CERAMIC-WHT").last_seen_qty == 265
    assert Matching.objects.filter(connection=shop).count() == 41

    again = run(shop, ImportKind.CHANNEL_LISTINGS)

    assert counts(again) == (RunStatus.DONE, 45, 0, 0, 44, 1)
    assert Listing.objects.filter(connection=shop).count() == 44
    assert Matching.objects.filter(connection=shop).count() == 41


def test_creating_master_items_from_a_channel(books: Books, master: Connection, shop: Connection) -> None:
    run(master, ImportKind.MASTER_ITEMS)
    books.create(
        "Item",
        {"Name": "Linen napkins", "Type": "NonInventory", "IncomeAccountRef": {"value": "1"}},
    )  # made in QuickBooks after the import: the hub does not know the name
    shopify_products(
        shop,
        {"title": "Gift card", "variants": [{"sku": "GIFT-CARD-25", "price": "25", "tracked": False}]},
        {"title": "Linen napkins", "variants": [{"sku": "NAPKIN-LIN-4", "available": 12}]},
    )
    run(shop, ImportKind.CHANNEL_LISTINGS)
    accounts = {
        "income_account_id": books.account("Sales of Product Income"),
        "expense_account_id": books.account("Cost of Goods Sold"),
        "asset_account_id": books.account("Inventory Asset"),
    }

    no_asset = run(shop, ImportKind.CREATE_MASTER_ITEMS, **{**accounts, "asset_account_id": ""})

    # Candidates: CANDLE-SOY-01 and NAPKIN-LIN-4 (tracked), GIFT-CARD-25 (not tracked), and the
    # two typos, whose titles are items the hub already has.
    assert counts(no_asset) == (RunStatus.DONE, 5, 1, 0, 0, 4)
    reasons = {skip["ref"]: skip["reason"] for skip in no_asset.skip_reasons}
    assert "need an inventory asset account" in reasons["CANDLE-SOY-01"]
    assert "need an inventory asset account" in reasons["NAPKIN-LIN-4"]
    assert "'Steel hook, pack of 10' already exists" in reasons["HOOK-STEL-10"]
    assert "'Shelf bracket, pair' already exists" in reasons["SHELF-BRKT-2"]
    card = Item.objects.get(merchant=master.merchant, sku="GIFT-CARD-25")
    assert (card.type, card.tracked) == (ItemType.NON_INVENTORY, False)
    assert books.items("Name = 'Gift card'")[0]["Type"] == "NonInventory"

    done = run(shop, ImportKind.CREATE_MASTER_ITEMS, **accounts)

    assert counts(done) == (RunStatus.DONE, 4, 1, 0, 0, 3)
    reasons = {skip["ref"]: skip["reason"] for skip in done.skip_reasons}
    assert "'Linen napkins' already exists" in reasons["NAPKIN-LIN-4"]  # QuickBooks said 6240
    candle = Item.objects.get(merchant=master.merchant, sku="CANDLE-SOY-01")
    qbo_candle = books.items("Sku = 'CANDLE-SOY-01'")[0]
    assert (qbo_candle["Type"], qbo_candle["QtyOnHand"], qbo_candle["Name"]) == (
        "Inventory",
        35,
        "Soy candle, amber jar",
    )
    assert (candle.master_id, candle.type, candle.master_on_hand) == (
        qbo_candle["Id"],
        ItemType.INVENTORY,
        35,
    )
    assert Listing.objects.get(connection=shop, sku="CANDLE-SOY-01").item == candle

    again = run(shop, ImportKind.CREATE_MASTER_ITEMS, **accounts)

    assert counts(again) == (RunStatus.DONE, 3, 0, 0, 0, 3)
    assert len(books.items("Name = 'Soy candle, amber jar'")) == 1
    assert len(books.items("Name = 'Gift card'")) == 1


# ------------------------------------------------------------------------------------------
# Turning sync on: the preview


def test_the_preview_shows_what_the_first_push_would_change_and_writes_nothing(
    master: Connection, shop: Connection, shopify_sandbox
) -> None:
    run(master, ImportKind.MASTER_ITEMS)
    run(shop, ImportKind.CHANNEL_LISTINGS)
    creds = shopify_sandbox.platform.credentials()
    store = ShopifyStorefront(shop.base_url, creds["access_token"])
    store.place_order([("BIN-LG-001", 4)])
    catch_up_orders(shop.pk)
    Connection.objects.filter(pk=shop.pk).update(buffer=2)
    shop.refresh_from_db()
    before = requests.get(shop.base_url + "/_sandbox/state", timeout=5).json()

    preview = preview_sync(connection=shop)

    rows = {row.sku: row for row in preview.rows}
    assert len(rows) == 40  # tracked, matched listings
    assert (preview.unmatched_listings, preview.untracked_listings) == (3, 1)
    # The hub holds 240 - 4 sold; Shopify already shows the sale: 236, the hub would write 234.
    assert (rows["BIN-LG-001"].channel_quantity, rows["BIN-LG-001"].new_quantity) == (236, 234)
    assert (rows["MUG-CERAMIC-WHT"].channel_quantity, rows["MUG-CERAMIC-WHT"].new_quantity) == (265, 258)
    assert (rows["FRAME-A4-BLK"].channel_quantity, rows["FRAME-A4-BLK"].new_quantity) == (172, 173)
    assert len(preview.changing) == 40  # the buffer of 2 changes every listing
    after = requests.get(shop.base_url + "/_sandbox/state", timeout=5).json()
    assert after["writes_applied"] == before["writes_applied"]
    assert after["stock"] == before["stock"]
    assert not Listing.objects.filter(connection=shop, push_pending=True).exists()
    assert not Listing.objects.filter(connection=shop, last_pushed_qty__isnull=False).exists()
    shop.refresh_from_db()
    assert shop.sync_inventory is False


def test_the_preview_of_a_channel_that_cannot_be_read_raises_a_channel_error(
    master: Connection, shop: Connection
) -> None:
    from channels.adapters.base import ChannelError

    run(master, ImportKind.MASTER_ITEMS)
    run(shop, ImportKind.CHANNEL_LISTINGS)
    Connection.objects.filter(pk=shop.pk).update(credentials={"access_token": "wrong"})
    shop.refresh_from_db()
    with pytest.raises(ChannelError):
        preview_sync(connection=shop)
