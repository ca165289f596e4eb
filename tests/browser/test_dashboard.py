"""The dashboard in the browser: the overview's figures lead to their lists, turning sync on shows
what will be overwritten before anything is, an import shows its progress then its result, and
every page's main action is reachable with the keyboard under an accessible name."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
import requests

from channels.imports import run_import
from channels.models import (
    Connection,
    ConnectionKind,
    ConnectionRole,
    ConnectionStatus,
    ImportKind,
    ImportRun,
    Listing,
    Outcome,
)
from inventory_sync.models import Item, LineState, Role
from inventory_sync.queueing import EmbeddedWorkers
from tests.factories import (
    ActivityFactory,
    ConnectionFactory,
    ListingFactory,
    MembershipFactory,
    OrderLineFactory,
    stocked_item,
)

pytestmark = pytest.mark.django_db(transaction=True)


def sandbox_shop(merchant, sandbox, name: str = "Shopify") -> Connection:
    """A channel connection to the Shopify emulator, as an admin would add it."""
    credentials = sandbox.platform.credentials()
    return Connection.objects.create(
        merchant=merchant,
        kind=ConnectionKind.SHOPIFY,
        role=ConnectionRole.CHANNEL,
        name=name,
        base_url=sandbox.url,
        external_account_id=credentials["shop_domain"],
        credentials={"access_token": credentials["access_token"]},
        webhook_secret=credentials["api_secret"],
        status=ConnectionStatus.ACTIVE,
    )


def import_listings(connection: Connection) -> ImportRun:
    run = ImportRun.objects.create(
        merchant=connection.merchant, connection=connection, kind=ImportKind.CHANNEL_LISTINGS
    )
    return run_import(run.pk)


def channel_stock(sandbox, sku: str):
    return requests.get(sandbox.url + "/_sandbox/state", timeout=10).json()["stock"].get(sku)


def wait_until(check, timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


# ------------------------------------------------------------------------------------------
# Overview


def test_each_overview_figure_opens_its_filtered_list(page, live_server, sign_in, screenshot):
    staff = MembershipFactory(role=Role.STAFF, merchant__name="Acme Homewares")
    merchant = staff.merchant
    shop = ConnectionFactory(merchant=merchant, name="Shopify")
    oversold = stocked_item(merchant=merchant, on_hand=1, sku="LAMP-DESK-BLK", name="Desk lamp, black")
    Item.objects.filter(pk=oversold.pk).update(reserved=Decimal(3))
    fine = stocked_item(merchant=merchant, on_hand=40, sku="MUG-CERAMIC-WHT", name="Ceramic mug, white")
    ListingFactory(
        connection=shop,
        item=fine,
        sku="MUG-CERAMIC-WHT",
        last_push_outcome="drift",
        last_pushed_qty=40,
        last_seen_qty=37,
        drift_qty=37,
    )
    ListingFactory(connection=shop, item=oversold, sku="LAMP-DESK-BLK", last_push_outcome="ok")
    OrderLineFactory(order__connection=shop, product_code="HOOK-STEL-10", code_normalized="HOOK-STEL-10")
    ActivityFactory(
        merchant=merchant, connection=shop, outcome=Outcome.ERROR, summary="Push to Shopify failed"
    )

    sign_in(staff.user)
    screenshot("overview")
    page.get_by_role("link", name="1 oversold").click()
    assert page.get_by_label("Status").input_value() == "oversold"
    rows = page.locator("table.items tbody tr")
    assert rows.count() == 1 and "LAMP-DESK-BLK" in rows.inner_text()
    screenshot("oversold")

    page.go_back()
    page.get_by_role("link", name="drifted from the hub").click()
    assert page.get_by_role("heading", name="Listings").is_visible()
    rows = page.locator("tbody tr")
    assert rows.count() == 1 and "MUG-CERAMIC-WHT" in rows.inner_text() and "Drifted" in rows.inner_text()
    assert "40" in rows.inner_text() and "37" in rows.inner_text()  # both values: pushed, channel's
    screenshot("drift")

    page.go_back()
    page.get_by_role("link", name="failed job").click()
    assert page.locator("tbody tr").count() == 1
    assert "Push to Shopify failed" in page.locator("tbody tr").inner_text()

    page.go_back()
    page.get_by_role("link", name="waiting for a matching").click()
    assert "HOOK-STEL-10" in page.locator("table.staging tbody").inner_text()

    page.goto(live_server.url + "/")
    page.get_by_role("button", name="Sync now: Shopify").click()
    assert page.get_by_role("heading", name="Overview").is_visible()
    assert "Asked Shopify for: orders catch-up" in page.get_by_role("status").inner_text()
    screenshot("synced")


# ------------------------------------------------------------------------------------------
# Turning sync on


def test_turning_sync_on_previews_the_overwrite_then_pushes(
    page, live_server, sign_in, screenshot, shopify_sandbox
):
    admin = MembershipFactory(role=Role.ADMIN)
    merchant = admin.merchant
    # The hub's quantities: the channel shows 240, 265 (a manual edit) and 280 for these.
    stocked_item(merchant=merchant, on_hand=200, sku="BIN-LG-001", name="Storage bin, large")
    stocked_item(merchant=merchant, on_hand=260, sku="MUG-CERAMIC-WHT", name="Ceramic mug, white")
    stocked_item(merchant=merchant, on_hand=280, sku="JAR-GLASS-1L", name="Glass jar 1 l")
    shop = sandbox_shop(merchant, shopify_sandbox)
    imported = import_listings(shop)
    assert imported.status == "done", imported.error
    assert channel_stock(shopify_sandbox, "BIN-LG-001") == 240

    sign_in(admin.user)
    page.get_by_role("link", name="Connections").click()
    page.get_by_role("link", name="Shopify", exact=True).click()
    page.get_by_role("link", name="Turn inventory sync on…").click()

    assert page.get_by_role("heading", name="Turn inventory sync on for Shopify?").is_visible()
    assert "2 of 3 matched listing(s) will change" in page.locator("main").inner_text()
    row = page.get_by_role("row").filter(has_text="BIN-LG-001")
    assert row.get_by_role("cell", name="240", exact=True).is_visible()  # the channel now
    assert row.get_by_role("cell", name="200", exact=True).is_visible()  # what the hub will write
    assert row.get_by_text("changes").is_visible()
    assert page.get_by_role("row").filter(has_text="JAR-GLASS-1L").get_by_text("same").is_visible()
    assert not Connection.objects.get(pk=shop.pk).sync_inventory  # a preview writes nothing
    assert channel_stock(shopify_sandbox, "BIN-LG-001") == 240
    screenshot("preview")

    workers = EmbeddedWorkers(count=1, queue_names=["push"], with_cron=False).start()
    try:
        page.get_by_role("button", name="Confirm: turn sync on and write these quantities").click()
        assert (
            "Inventory sync is on: pushing 3 listing(s) to Shopify now."
            in page.get_by_role("status").inner_text()
        )
        wait_until(lambda: channel_stock(shopify_sandbox, "BIN-LG-001") == 200, what="the push to Shopify")
        wait_until(lambda: channel_stock(shopify_sandbox, "MUG-CERAMIC-WHT") == 260, what="the mug's push")
    finally:
        workers.stop()
    assert Connection.objects.get(pk=shop.pk).sync_inventory
    assert set(
        Listing.objects.filter(connection=shop, item__isnull=False).values_list(
            "last_push_outcome", flat=True
        )
    ) <= {"ok", ""}
    page.reload()
    assert page.get_by_role("button", name="Turn inventory sync off").is_visible()
    screenshot("on")


# ------------------------------------------------------------------------------------------
# Imports


def test_an_import_shows_its_progress_then_the_result(
    page, live_server, sign_in, screenshot, shopify_sandbox
):
    admin = MembershipFactory(role=Role.ADMIN)
    sandbox_shop(admin.merchant, shopify_sandbox)
    sign_in(admin.user)
    page.get_by_role("link", name="Imports").click()
    page.get_by_label("Kind").select_option(label="Listings from a channel")
    page.get_by_label("Connection").select_option(label="Shopify (Shopify)")
    page.get_by_role("button", name="Start").click()

    # No worker yet: the run waits, and says so.
    status = page.get_by_test_id("import-status")
    assert status.inner_text() == "Queued"
    assert page.get_by_role("progressbar", name="Import progress").is_visible()
    assert page.get_by_text("waiting for a worker").is_visible()
    screenshot("queued")

    # A slow platform keeps the run going long enough to watch it.
    shopify_sandbox.platform.knobs.update({"latency_ms": 1500})
    workers = EmbeddedWorkers(count=1, queue_names=["imports"], with_cron=False).start()
    try:
        page.get_by_text("Running").wait_for(timeout=15_000)
        assert page.get_by_role("progressbar", name="Import progress").is_visible()
        screenshot("running")
        page.get_by_test_id("import-status").filter(has_text="Done").wait_for(timeout=30_000)
    finally:
        workers.stop()
        shopify_sandbox.platform.knobs.update({"latency_ms": 0})
    run = ImportRun.objects.get()
    assert run.status == "done" and run.created > 0
    assert page.get_by_test_id("created").inner_text() == str(run.created)
    assert page.get_by_role("progressbar").count() == 0
    assert f"{run.created} of {run.total}" in page.locator("#import-progress").inner_text() or (
        f"{run.processed} processed" in page.locator("#import-progress").inner_text()
    )
    screenshot("done")


# ------------------------------------------------------------------------------------------
# Keyboard and screen readers

AUDIT = """() => {
  const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const named = el => {
    if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.title) return true;
    if (el.labels && el.labels.length) return true;
    return (el.innerText || el.value || '').trim().length > 0;
  };
  const unnamed = [...document.querySelectorAll(
      'a[href], button, input:not([type=hidden]), select, textarea')]
    .filter(el => visible(el) && !named(el)).map(el => el.outerHTML.slice(0, 120));
  const levels = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map(h => +h.tagName[1]);
  const skips = levels.filter((level, i) => i > 0 && level > levels[i - 1] + 1);
  return {unnamed, h1: levels.filter(l => l === 1).length, first: levels[0], skips};
}"""


def tab_to(page, target, limit: int = 80) -> int:
    """Press Tab until `target` has the focus; the number of presses."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return presses
    raise AssertionError(f"{target} is not reachable with Tab within {limit} presses")


@pytest.fixture
def furnished(page, live_server, sign_in):
    """An admin, signed in, whose merchant has a bit of everything on each page; returns the
    address of a page by its path (`{shop}` stands for the channel's id)."""
    admin = MembershipFactory(role=Role.ADMIN, merchant__name="Acme Homewares")
    merchant = admin.merchant
    shop = ConnectionFactory(merchant=merchant, name="Shopify")
    item = stocked_item(merchant=merchant, on_hand=5, sku="LAMP-DESK-BLK", name="Desk lamp, black")
    ListingFactory(connection=shop, item=item, sku="LAMP-DESK-BLK", last_push_outcome="ok", last_pushed_qty=5)
    OrderLineFactory(order__connection=shop, item=item, state=LineState.LIVE, product_code="LAMP-DESK-BLK")
    OrderLineFactory(order__connection=shop, product_code="DESKLAMP", code_normalized="DESKLAMP")
    ActivityFactory(merchant=merchant, connection=shop, summary="Pushed 1 listing")
    sign_in(admin.user)
    return lambda path: live_server.url + path.format(shop=shop.pk)


MAIN_ACTIONS = [
    ("/", "button", "Sync now: Shopify"),
    ("/items/", "textbox", "Search SKU, name or barcode"),
    ("/items/", "button", "Filter"),
    ("/listings/", "button", "Filter"),
    ("/orders/", "button", "Filter"),
    ("/matching/", "checkbox", "Select DESKLAMP on Shopify"),
    ("/matching/", "button", "Match selected codes…"),
    ("/matching/", "link", "Add matching… for DESKLAMP on Shopify"),
    ("/activity/", "button", "Filter"),
    ("/connections/", "link", "Add Shopify or WooCommerce"),
    ("/connections/{shop}/", "link", "Turn inventory sync on…"),
    ("/imports/", "button", "Start"),
]


def _action_id(action: tuple[str, str, str]) -> str:
    """A test id that is also a file name (screenshots are named after the test)."""
    path, role, _ = action
    return (path.strip("/").replace("/", "-").replace("{shop}", "shop") or "overview") + f"-{role}"


@pytest.mark.parametrize("action", MAIN_ACTIONS, ids=[_action_id(a) for a in MAIN_ACTIONS])
def test_each_pages_main_action_is_reachable_with_tab_and_named(page, screenshot, furnished, action):
    path, role, name = action
    page.goto(furnished(path))

    # The first Tab offers the skip link; following it puts the next Tab inside the page's content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")

    target = page.get_by_role(role, name=name, exact=True).first
    tab_to(page, target)
    outline = target.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline not in ("", "none"), "the focused control shows no focus ring"

    audit = page.evaluate(AUDIT)
    assert audit["unnamed"] == [], "controls without an accessible name"
    assert audit["h1"] == 1 and audit["first"] == 1, "one h1, first"
    assert audit["skips"] == [], "heading levels skip"
    screenshot()
