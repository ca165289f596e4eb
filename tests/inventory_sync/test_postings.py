"""Postings (issue 6) against the QuickBooks and Shopify emulators over HTTP: one summary sales
receipt per Shopify payout, per-order receipts and invoices, and what goes wrong on the way
(staged lines, orders the channel cannot give, an item deleted in QuickBooks, a revoked
authorisation, a crash between QuickBooks' answer and the local commit)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests

from channels.adapters.base import platform
from channels.connections import ConnectionTokenProvider, config_for
from channels.imports import run_import
from channels.models import (
    Connection,
    ConnectionKind,
    ConnectionRole,
    ConnectionStatus,
    ImportKind,
    ImportRun,
    PostingMode,
)
from channels.sandbox.shopify.storefront import ShopifyStorefront
from channels.sandbox.woocommerce.storefront import WooCommerceStorefront
from channels.sync import catch_up_orders
from inventory_sync import tasks
from inventory_sync.demo import sandbox_quickbooks_credentials
from inventory_sync.models import (
    Customer,
    Item,
    LineState,
    Order,
    OrderLine,
    Payout,
    Posting,
    PostingStatus,
)
from inventory_sync.services import postings
from inventory_sync.services.stock import check_counters
from mapping.services import add_matching
from tests.factories import ConnectionFactory, MerchantFactory

pytestmark = pytest.mark.django_db

FAST = {"timeout": 5.0, "max_attempts": 2, "backoff_base": 0.01, "backoff_cap": 0.02}


def next_monday(after: date) -> date:
    return after + timedelta(days=7 - after.weekday())


# ------------------------------------------------------------------------------------------
# The scene: a merchant connected to the emulators, items, customers and listings imported


@dataclasses.dataclass
class Scene:
    merchant: Any
    master: Connection
    shop: Connection
    qbo_url: str
    shop_url: str
    creds: dict[str, Any]
    storefront: ShopifyStorefront
    monday: date  # the first Monday of the Shopify emulator's week (always in the future)

    # -- QuickBooks, as an accountant would look at it ------------------------------------
    def qbo(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.creds['access_token']}", "Accept": "application/json"}
        params = {"minorversion": "75", **kwargs.pop("params", {})}
        return requests.request(
            method,
            f"{self.qbo_url}/v3/company/{self.creds['realm_id']}/{path}",
            headers=headers,
            params=params,
            timeout=10,
            **kwargs,
        )

    def query(self, statement: str) -> list[dict[str, Any]]:
        response = self.qbo("GET", "query", params={"query": statement})
        assert response.status_code == 200, response.text
        body = response.json()["QueryResponse"]
        return next((v for v in body.values() if isinstance(v, list)), [])

    def receipts(self) -> list[dict[str, Any]]:
        return self.query("SELECT * FROM SalesReceipt")

    def qbo_item(self, sku: str) -> dict[str, Any]:
        (item,) = self.query(f"SELECT * FROM Item WHERE Sku = '{sku}' AND Active IN (true, false)")  # noqa: S608
        return item

    def qbo_qty(self, sku: str) -> Decimal:
        return Decimal(str(self.qbo_item(sku)["QtyOnHand"]))

    def set_item_active(self, sku: str, active: bool) -> None:
        item = self.qbo_item(sku)
        body = {"Id": item["Id"], "SyncToken": item["SyncToken"], "sparse": True, "Active": active}
        response = self.qbo("POST", "item", json=body)
        assert response.status_code == 200, response.text

    def qbo_calls(self) -> dict[str, int]:
        return requests.get(self.qbo_url + "/_sandbox/state", timeout=10).json()["calls"]

    # -- Shopify ----------------------------------------------------------------------------
    def shop_control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = requests.post(f"{self.shop_url}/_sandbox/{path}", json=body or {}, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def shop_clock(self, day: date, hour: int) -> None:
        self.shop_control("clock", {"set": datetime.combine(day, time(hour), tzinfo=UTC).isoformat()})

    def sell(self, day: date, *orders: list[tuple[str, int]]) -> list[dict[str, Any]]:
        """Paid orders placed in the shop on `day`, then taken in by the hub's catch-up."""
        self.shop_clock(day, 15)
        placed = [self.storefront.place_order(lines) for lines in orders]
        catch_up_orders(self.shop.pk)
        return placed

    def payouts_run(self, day: date) -> list[dict[str, Any]]:
        """Shopify's overnight run, seen on the morning of `day`."""
        self.shop_clock(day, 9)
        return self.shop_control("payouts/run")["created"]

    def item(self, sku: str) -> Item:
        return Item.objects.get(merchant=self.merchant, sku=sku)


def adapter(connection: Connection) -> Any:
    """The connection's adapter with short waits (faults are injected in these tests)."""
    spec = platform(connection.kind)
    config = config_for(connection)
    config = dataclasses.replace(config, options={**config.options, **FAST})
    tokens = ConnectionTokenProvider(connection.pk, spec.refresher) if spec.refresher else None
    return spec.factory(config, tokens)


def qbo_connection(merchant: Any, url: str, creds: dict[str, Any]) -> Connection:
    return ConnectionFactory(
        merchant=merchant,
        kind=ConnectionKind.QUICKBOOKS,
        role=ConnectionRole.MASTER,
        name="QuickBooks",
        base_url=url,
        external_account_id=creds["realm_id"],
        webhook_secret=creds["webhook_verifier_token"],
        credentials=sandbox_quickbooks_credentials(
            {**creds, "base_url": url},
            expires_at=(datetime.now(UTC) + timedelta(minutes=50)).isoformat(),
            redirect_uri="http://127.0.0.1:9/connections/quickbooks/callback/",
        ),
    )


def imported(connection: Connection, kind: str) -> ImportRun:
    run = run_import(
        ImportRun.objects.create(merchant=connection.merchant, connection=connection, kind=kind).pk
    )
    assert run.status == "done", run.error
    return run


@pytest.fixture
def scene(qbo_sandbox, shopify_sandbox) -> Iterator[Scene]:
    creds = requests.get(qbo_sandbox.url + "/_sandbox/credentials", timeout=5).json()
    shop_creds = shopify_sandbox.platform.credentials()
    requests.post(shopify_sandbox.url + "/_sandbox/plan", json={"rest_leak_rate": 0}, timeout=10)
    merchant = MerchantFactory()
    master = qbo_connection(merchant, qbo_sandbox.url, creds)
    shop = ConnectionFactory(
        merchant=merchant,
        kind=ConnectionKind.SHOPIFY,
        role=ConnectionRole.CHANNEL,
        name="Shopify",
        base_url=shopify_sandbox.url,
        external_account_id=shop_creds["shop_domain"],
        credentials={"access_token": shop_creds["access_token"]},
        webhook_secret=shop_creds["api_secret"],
        posting_mode=PostingMode.PAYOUT_SUMMARY,
    )
    imported(master, ImportKind.MASTER_ITEMS)
    imported(master, ImportKind.MASTER_CUSTOMERS)
    imported(shop, ImportKind.CHANNEL_LISTINGS)
    shop.posting_customer_ref = Customer.objects.get(
        merchant=merchant, display_name="Shopify Sales"
    ).master_id
    shop.save()
    storefront = ShopifyStorefront(shopify_sandbox.url, shop_creds["access_token"])
    yield Scene(
        merchant,
        master,
        shop,
        qbo_sandbox.url,
        shopify_sandbox.url,
        creds,
        storefront,
        next_monday(datetime.now(UTC).date() + timedelta(days=1)),
    )
    storefront.session.close()


def item_lines(receipt: dict[str, Any]) -> dict[str, tuple[Decimal, Decimal]]:
    """{item name: (quantity, amount)} of a sales document's item lines."""
    return {
        line["SalesItemLineDetail"]["ItemRef"]["name"]: (
            Decimal(str(line["SalesItemLineDetail"]["Qty"])),
            Decimal(str(line["Amount"])),
        )
        for line in receipt["Line"]
        if line["DetailType"] == "SalesItemLineDetail"
    }


# ------------------------------------------------------------------------------------------
# Payout summaries


def test_a_payout_posts_one_summary_receipt_with_summed_lines_and_its_fees(scene: Scene) -> None:
    fee_item = scene.qbo(
        "POST",
        "item",
        json={"Name": "Payment processing fees", "Type": "Service", "IncomeAccountRef": {"value": "1"}},
    ).json()["Item"]
    scene.shop.posting_fee_item_ref = fee_item["Id"]
    scene.shop.save()
    tuesday = scene.monday + timedelta(days=1)
    scene.sell(
        tuesday,
        [("SAMPLE-BIN", 2)],
        [("SAMPLE-BIN", 1), ("BIN-LG-001", 2)],
        [("SAMPLE-BIN", 4)],
    )
    assert scene.item("SAMPLE-BIN").reserved == 7
    (payout,) = scene.payouts_run(tuesday + timedelta(days=1))

    assert tasks.postings_for_connection(scene.shop.pk) == 1

    (receipt,) = scene.receipts()
    assert item_lines(receipt) == {
        "Sample storage bin": (Decimal(7), Decimal("84.00")),
        "Storage bin, large": (Decimal(2), Decimal("36.00")),
        "Payment processing fees": (Decimal(1), -Decimal(payout["summary"]["charges_fee_amount"])),
    }
    assert receipt["CustomerRef"]["name"] == "Shopify Sales"
    assert receipt["DocNumber"] == f"PO-{payout['id']}"
    assert receipt["TxnDate"] == payout["date"]
    assert Decimal(str(receipt["TotalAmt"])) == Decimal(payout["amount"])  # gross less fees
    assert "3 order(s), 9 unit(s)" in receipt["PrivateNote"]
    posting = Posting.objects.get(payout__external_id=str(payout["id"]))
    assert (posting.status, posting.master_txn_id, posting.orders_count, posting.units) == (
        PostingStatus.POSTED,
        receipt["Id"],
        3,
        Decimal(9),
    )
    # QuickBooks moved the stock; the hub closed the reservations and took the read-back.
    assert scene.qbo_qty("SAMPLE-BIN") == 3900 - 7
    sample, large = scene.item("SAMPLE-BIN"), scene.item("BIN-LG-001")
    assert (sample.master_on_hand, sample.reserved, sample.available) == (3893, 0, 3893)
    assert (large.master_on_hand, large.reserved, large.available) == (238, 0, 238)
    assert set(OrderLine.objects.filter(merchant=scene.merchant).values_list("state", flat=True)) == {
        LineState.POSTED
    }
    assert check_counters(merchant=scene.merchant) == []

    # Run again, and again: the payout is posted once.
    assert tasks.postings_for_connection(scene.shop.pk) == 0
    postings.sync_payouts(connection=scene.shop)
    assert len(scene.receipts()) == 1
    assert Posting.objects.filter(merchant=scene.merchant).count() == 1


def test_fees_without_a_fee_item_go_in_the_memo_and_refunds_before_posting_reduce_the_lines(
    scene: Scene,
) -> None:
    tuesday = scene.monday + timedelta(days=1)
    _kept, refunded = scene.sell(tuesday, [("BIN-MD-002", 3)], [("HANGER-WD-10", 2), ("BIN-MD-002", 1)])
    line = next(li for li in refunded["line_items"] if li["sku"] == "BIN-MD-002")
    scene.storefront.refund(refunded["id"], [(line["id"], 1)])
    catch_up_orders(scene.shop.pk)
    assert scene.item("BIN-MD-002").reserved == 3  # the refunded unit is no longer wanted
    (payout,) = scene.payouts_run(tuesday + timedelta(days=1))

    tasks.postings_for_connection(scene.shop.pk)

    (receipt,) = scene.receipts()
    assert item_lines(receipt) == {
        "Storage bin, medium": (Decimal(3), Decimal("42.00")),
        "Wooden hangers, pack of 10": (Decimal(2), Decimal("32.00")),
    }
    note = receipt["PrivateNote"]
    fees = payout["summary"]["charges_fee_amount"]
    assert f"fees {fees} (not on a line: no fee item chosen)" in note
    assert "refunds 14.00" in note
    assert scene.qbo_qty("BIN-MD-002") == 310 - 3
    assert scene.item("BIN-MD-002").available == 307
    assert check_counters(merchant=scene.merchant) == []


def test_a_refund_after_its_sale_was_posted_is_named_and_not_reversed(scene: Scene) -> None:
    tuesday = scene.monday + timedelta(days=1)
    (order,) = scene.sell(tuesday, [("JAR-GLASS-2L", 2)])
    scene.payouts_run(tuesday + timedelta(days=1))
    tasks.postings_for_connection(scene.shop.pk)
    assert scene.qbo_qty("JAR-GLASS-2L") == 188

    scene.shop_clock(tuesday + timedelta(days=1), 12)
    scene.storefront.refund(order["id"], [(order["line_items"][0]["id"], 2)])
    scene.sell(tuesday + timedelta(days=1), [("BIN-SM-003", 1)])
    scene.payouts_run(tuesday + timedelta(days=2))
    tasks.postings_for_connection(scene.shop.pk)

    receipts = sorted(scene.receipts(), key=lambda r: int(r["Id"]))
    assert len(receipts) == 2
    assert item_lines(receipts[1]) == {"Storage bin, small": (Decimal(1), Decimal("9.00"))}
    assert f"not reversed here: {order['name']}" in receipts[1]["PrivateNote"]
    assert scene.qbo_qty("JAR-GLASS-2L") == 188  # QuickBooks still has the sale: said plainly in docs
    assert scene.item("JAR-GLASS-2L").available == 188


def test_no_payout_over_the_weekend_means_no_posting_and_availability_stays_exact(scene: Scene) -> None:
    saturday = scene.monday + timedelta(days=5)
    scene.sell(saturday, [("SHELF-OAK-80", 2)])
    scene.sell(saturday + timedelta(days=1), [("SHELF-OAK-80", 3)])
    assert scene.payouts_run(saturday + timedelta(days=1)) == []
    assert scene.payouts_run(saturday + timedelta(days=2)) == []  # Monday: the weekend is still open

    assert tasks.postings_for_connection(scene.shop.pk) == 0
    assert scene.receipts() == []
    item = scene.item("SHELF-OAK-80")
    assert (item.master_on_hand, item.reserved, item.available) == (64, 5, 59)
    assert scene.qbo_qty("SHELF-OAK-80") == 64

    # Tuesday's run closes Monday's business day, weekend takings included: paid on Tuesday.
    (payout,) = scene.payouts_run(saturday + timedelta(days=3))
    assert payout["date"] == (saturday + timedelta(days=3)).isoformat()
    tasks.postings_for_connection(scene.shop.pk)
    (receipt,) = scene.receipts()
    assert item_lines(receipt) == {"Oak shelf 80 cm": (Decimal(5), Decimal("195.00"))}
    item.refresh_from_db()
    assert (item.master_on_hand, item.reserved, item.available) == (59, 0, 59)


def test_a_payout_of_more_orders_than_a_page_posts_in_two_quickbooks_calls(scene: Scene) -> None:
    tuesday = scene.monday + timedelta(days=1)
    scene.sell(tuesday, *[[("LABEL-CHALK", 1), ("BIN-LID-004", 2)]] * 30)
    scene.payouts_run(tuesday + timedelta(days=1))
    postings.sync_payouts(connection=scene.shop)
    (posting,) = Posting.objects.filter(merchant=scene.merchant)
    before = scene.qbo_calls()

    postings.run_posting(posting.pk)

    after = scene.qbo_calls()
    used = {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)}
    assert used == {"write": 1, "query": 1}  # the receipt, then one read-back of both items
    (receipt,) = scene.receipts()
    assert item_lines(receipt) == {
        "Bin lid": (Decimal(60), Decimal("210.00")),
        "Chalk labels, 36 pieces": (Decimal(30), Decimal("117.00")),
    }


# ------------------------------------------------------------------------------------------
# Crash, retries and bad input


def test_a_crash_between_quickbooks_and_the_local_commit_is_repaired_without_a_second_receipt(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    tuesday = scene.monday + timedelta(days=1)
    scene.sell(tuesday, [("BASKET-WIL-M", 2)], [("BASKET-WIL-M", 1), ("CANISTER-SET", 1)])
    scene.payouts_run(tuesday + timedelta(days=1))
    real = postings.post_reservations

    def crash_once(**kwargs: Any) -> Any:
        monkeypatch.setattr(postings, "post_reservations", real)
        raise ConnectionError("the database went away")

    monkeypatch.setattr(postings, "post_reservations", crash_once)

    with pytest.raises(ConnectionError):
        tasks.postings_for_connection(scene.shop.pk)

    (posting,) = Posting.objects.filter(merchant=scene.merchant)
    (receipt,) = scene.receipts()  # QuickBooks has the sale ...
    basket = scene.item("BASKET-WIL-M")
    assert (basket.reserved, posting.status) == (3, PostingStatus.PENDING)  # ... the hub not yet
    assert posting.master_txn_id == receipt["Id"]
    assert "running it again finishes it without posting twice" in posting.error

    assert tasks.postings_for_connection(scene.shop.pk) == 1

    assert [r["Id"] for r in scene.receipts()] == [receipt["Id"]]
    posting.refresh_from_db()
    assert (posting.status, posting.master_txn_id, posting.attempts, posting.error) == (
        PostingStatus.POSTED,
        receipt["Id"],
        2,
        "",
    )
    basket.refresh_from_db()
    assert scene.qbo_qty("BASKET-WIL-M") == 67
    assert (basket.master_on_hand, basket.reserved, basket.available) == (67, 0, 67)
    assert scene.item("CANISTER-SET").available == 59
    assert check_counters(merchant=scene.merchant) == []
    state = requests.get(scene.qbo_url + "/_sandbox/state", timeout=5).json()
    assert state["writes_applied_twice"] == []
    assert state["operations"]["replay"] == 1


def test_lines_in_the_staging_area_hold_the_payout_back_and_say_why(scene: Scene) -> None:
    tuesday = scene.monday + timedelta(days=1)
    scene.sell(tuesday, [("HOOK-STEL-10", 3)], [("BIN-LG-001", 1)])  # Shopify's typo of HOOK-STEEL-10
    scene.payouts_run(tuesday + timedelta(days=1))

    tasks.postings_for_connection(scene.shop.pk)

    (posting,) = Posting.objects.filter(merchant=scene.merchant)
    assert posting.status == PostingStatus.HELD
    assert "staging area" in posting.hold_reason and "HOOK-STEL-10" in posting.hold_reason
    assert scene.receipts() == []
    assert scene.item("BIN-LG-001").reserved == 1  # nothing half posted

    add_matching(connection=scene.shop, codes=["HOOK-STEL-10"], item=scene.item("HOOK-STEEL-10"))
    tasks.postings_for_connection(scene.shop.pk)

    posting.refresh_from_db()
    assert (posting.status, posting.hold_reason) == (PostingStatus.POSTED, "")
    (receipt,) = scene.receipts()
    assert item_lines(receipt) == {
        "Steel hook, pack of 10": (Decimal(3), Decimal("18.00")),
        "Storage bin, large": (Decimal(1), Decimal("18.00")),
    }
    assert scene.item("HOOK-STEEL-10").available == 217


def test_orders_the_webhooks_missed_are_fetched_and_an_order_shopify_cannot_give_holds_it(
    scene: Scene,
) -> None:
    tuesday = scene.monday + timedelta(days=1)
    scene.shop_clock(tuesday, 15)
    first = scene.storefront.place_order([("VASE-GLASS-25", 2)])
    second = scene.storefront.place_order([("VASE-GLASS-25", 1)])
    assert not Order.objects.filter(merchant=scene.merchant).exists()  # no webhook, no catch-up
    scene.payouts_run(tuesday + timedelta(days=1))
    postings.sync_payouts(connection=scene.shop, adapter=adapter(scene.shop))
    (posting,) = Posting.objects.filter(merchant=scene.merchant)
    scene.shop_control("faults", {"kind": "error", "count": 5, "path": f"/orders/{second['id']}.json"})

    posting = postings.run_posting(posting.pk, channel=adapter(scene.shop))

    assert posting.status == PostingStatus.HELD
    assert "could not be read" in posting.hold_reason and "500" in posting.hold_reason
    assert scene.receipts() == []
    assert not Order.objects.filter(merchant=scene.merchant, external_id=str(second["id"])).exists()
    assert scene.item("VASE-GLASS-25").master_on_hand == 66  # nothing half posted

    requests.delete(scene.shop_url + "/_sandbox/faults", timeout=5)
    tasks.postings_for_connection(scene.shop.pk)

    posting.refresh_from_db()
    assert posting.status == PostingStatus.POSTED
    (receipt,) = scene.receipts()
    assert item_lines(receipt) == {"Glass vase 25 cm": (Decimal(3), Decimal("63.00"))}
    assert {str(first["id"]), str(second["id"])} == set(posting.payout.order_external_ids)
    vase = scene.item("VASE-GLASS-25")
    assert (vase.master_on_hand, vase.reserved) == (63, 0)


def test_an_item_deleted_in_quickbooks_fails_the_posting_with_its_fault_and_a_retry_posts_it(
    scene: Scene,
) -> None:
    tuesday = scene.monday + timedelta(days=1)
    scene.sell(tuesday, [("CLOCK-WALL-30", 2), ("FRAME-A3-BLK", 1)])
    scene.payouts_run(tuesday + timedelta(days=1))
    scene.set_item_active("CLOCK-WALL-30", False)

    tasks.postings_for_connection(scene.shop.pk)

    (posting,) = Posting.objects.filter(merchant=scene.merchant)
    assert posting.status == PostingStatus.FAILED
    assert "Wall clock 30 cm" in posting.error and "deleted or made inactive" in posting.error
    assert '"code": "610"' in posting.fault
    assert scene.receipts() == []
    clock, frame = scene.item("CLOCK-WALL-30"), scene.item("FRAME-A3-BLK")
    assert (clock.reserved, frame.reserved) == (2, 1)  # nothing half posted
    assert tasks.postings_for_connection(scene.shop.pk) == 0  # a failed posting waits for staff

    scene.set_item_active("CLOCK-WALL-30", True)
    postings.retry_posting(posting)
    assert tasks.run_posting(posting.pk) == PostingStatus.POSTED

    (receipt,) = scene.receipts()
    assert item_lines(receipt) == {
        "Wall clock 30 cm": (Decimal(2), Decimal("54.00")),
        "Photo frame A3, black": (Decimal(1), Decimal("12.50")),
    }
    clock.refresh_from_db()
    assert (clock.master_on_hand, clock.reserved) == (53, 0)


def test_a_revoked_authorisation_fails_the_posting_clearly_and_it_posts_after_reconnecting(
    scene: Scene, qbo_sandbox
) -> None:
    tuesday = scene.monday + timedelta(days=1)
    scene.sell(tuesday, [("LAMP-DESK-BLK", 1)])
    scene.payouts_run(tuesday + timedelta(days=1))
    good = dict(scene.master.credentials)
    # The access token expired and the refresh token no longer works (revoked, or 100 days idle).
    scene.master.credentials = {**good, "expires_at": "2020-01-01T00:00:00+00:00", "refresh_token": "revoked"}
    scene.master.save()

    tasks.postings_for_connection(scene.shop.pk)

    (posting,) = Posting.objects.filter(merchant=scene.merchant)
    assert posting.status == PostingStatus.FAILED
    assert "connect" in posting.error.lower() and "again" in posting.error
    scene.master.refresh_from_db()
    assert scene.master.status == ConnectionStatus.NEEDS_ATTENTION
    assert scene.receipts() == []
    assert scene.item("LAMP-DESK-BLK").reserved == 1

    # The merchant connects QuickBooks again (fresh tokens), then staff retry.
    Connection.objects.filter(pk=scene.master.pk).update(status=ConnectionStatus.ACTIVE, credentials=good)
    postings.retry_posting(posting)
    assert tasks.run_posting(posting.pk) == PostingStatus.POSTED
    assert len(scene.receipts()) == 1
    assert scene.item("LAMP-DESK-BLK").available == 39


def test_an_expired_access_token_is_refreshed_on_the_way(scene: Scene) -> None:
    tuesday = scene.monday + timedelta(days=1)
    scene.sell(tuesday, [("LAMP-DESK-BLK", 2)])
    scene.payouts_run(tuesday + timedelta(days=1))
    requests.post(scene.qbo_url + "/_sandbox/clock", json={"advance": 2 * 3600}, timeout=5)  # token expired

    tasks.postings_for_connection(scene.shop.pk)

    (posting,) = Posting.objects.filter(merchant=scene.merchant)
    assert posting.status == PostingStatus.POSTED
    scene.master.refresh_from_db()
    assert scene.master.credentials["access_token"] != scene.creds["access_token"]


def test_a_posting_without_a_customer_is_held_until_one_is_chosen(scene: Scene) -> None:
    customer = scene.shop.posting_customer_ref
    Connection.objects.filter(pk=scene.shop.pk).update(posting_customer_ref="")
    tuesday = scene.monday + timedelta(days=1)
    scene.sell(tuesday, [("MUG-CERAMIC-BLU", 2)])
    scene.payouts_run(tuesday + timedelta(days=1))

    tasks.postings_for_connection(scene.shop.pk)

    (posting,) = Posting.objects.filter(merchant=scene.merchant)
    assert posting.status == PostingStatus.HELD
    assert "choose the master customer" in posting.hold_reason
    Connection.objects.filter(pk=scene.shop.pk).update(posting_customer_ref=customer)
    tasks.postings_for_connection(scene.shop.pk)
    posting.refresh_from_db()
    assert posting.status == PostingStatus.POSTED


# ------------------------------------------------------------------------------------------
# Per-order postings (WooCommerce)


@pytest.fixture
def woo(scene: Scene, woo_sandbox) -> tuple[Connection, WooCommerceStorefront]:
    creds = woo_sandbox.platform.credentials()
    connection = ConnectionFactory(
        merchant=scene.merchant,
        kind=ConnectionKind.WOOCOMMERCE,
        role=ConnectionRole.CHANNEL,
        name="WooCommerce",
        base_url=woo_sandbox.url,
        external_account_id=woo_sandbox.url.split("//")[-1],
        credentials={"consumer_key": creds["consumer_key"], "consumer_secret": creds["consumer_secret"]},
        posting_mode=PostingMode.PER_ORDER_RECEIPT,
        posting_customer_ref=Customer.objects.get(
            merchant=scene.merchant, display_name="WooCommerce Sales"
        ).master_id,
    )
    imported(connection, ImportKind.CHANNEL_LISTINGS)
    store = WooCommerceStorefront(woo_sandbox.url, creds["consumer_key"], creds["consumer_secret"])
    return connection, store


def complete(store: WooCommerceStorefront, order_id: int) -> None:
    store._call("PUT", f"/orders/{order_id}", json={"status": "completed"})


@pytest.mark.parametrize(
    ("mode", "entity"),
    [(PostingMode.PER_ORDER_RECEIPT, "SalesReceipt"), (PostingMode.PER_ORDER_INVOICE, "Invoice")],
)
def test_per_order_mode_posts_each_order_once_it_is_fulfilled(scene: Scene, woo, mode, entity) -> None:
    connection, store = woo
    Connection.objects.filter(pk=connection.pk).update(posting_mode=mode)
    shipped = store.place_order([("BAG-VAC-4", 2), ("BAG-LAUNDRY", 1)])
    waiting = store.place_order([("BAG-VAC-4", 5)])
    complete(store, shipped["id"])
    catch_up_orders(connection.pk)

    assert tasks.postings_for_connection(connection.pk) == 1

    (document,) = scene.query(f"SELECT * FROM {entity}")  # noqa: S608
    assert item_lines(document) == {
        "Vacuum storage bags, pack of 4": (Decimal(2), Decimal("30.00")),
        "Laundry bag": (Decimal(1), Decimal("9.00")),
    }
    assert document["CustomerRef"]["name"] == "WooCommerce Sales"
    assert document["DocNumber"] == f"OR-{shipped['number']}"
    bags = scene.item("BAG-VAC-4")
    assert (bags.master_on_hand, bags.reserved, bags.available) == (208, 5, 203)  # 5 wait, unposted

    complete(store, waiting["id"])
    catch_up_orders(connection.pk)
    assert tasks.postings_for_connection(connection.pk) == 1
    assert tasks.postings_for_connection(connection.pk) == 0
    assert len(scene.query(f"SELECT * FROM {entity}")) == 2  # noqa: S608
    bags.refresh_from_db()
    assert (bags.master_on_hand, bags.reserved) == (203, 0)
    assert scene.qbo_qty("BAG-VAC-4") == 203
    assert Payout.objects.filter(merchant=scene.merchant).count() == 0
    assert check_counters(merchant=scene.merchant) == []
