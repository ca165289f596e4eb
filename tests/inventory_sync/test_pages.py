"""The overview's figures, and the lists they link to: each figure counts exactly the rows its link
shows, for this merchant only."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from channels.models import ConnectionKind, ConnectionRole, ConnectionStatus, Outcome
from inventory_sync.models import Item, ItemType, LineState, Merchant, OrderStatus, Role
from tests.factories import (
    ActivityFactory,
    ConnectionFactory,
    ItemFactory,
    ListingFactory,
    MembershipFactory,
    OrderFactory,
    OrderLineFactory,
)

pytestmark = pytest.mark.django_db


def item(merchant: Merchant, sku: str, *, on_hand: int, reserved: int = 0, **fields) -> Item:
    """An item with its counters set directly: these tests read pages, they do not move stock."""
    made = ItemFactory(merchant=merchant, sku=sku, **fields)
    Item.objects.filter(pk=made.pk).update(master_on_hand=Decimal(on_hand), reserved=Decimal(reserved))
    made.refresh_from_db()
    return made


def shop_of(merchant: Merchant, name: str = "Shopify"):
    return ConnectionFactory(merchant=merchant, name=name)


def populate(merchant: Merchant) -> dict[str, set]:
    """A bit of everything the overview counts, plus rows it must not count. Returns the
    expected rows per figure."""
    shop, woo = shop_of(merchant), shop_of(merchant, "WooCommerce")
    oversold = item(merchant, "OVER-1", on_hand=2, reserved=5)
    sold_out = item(merchant, "ZERO-1", on_hand=3, reserved=3)
    low = item(merchant, "LOW-1", on_hand=4, reorder_point=Decimal(10))
    low_too = item(merchant, "LOW-2", on_hand=9, reserved=1, reorder_point=Decimal(10))
    fine = item(merchant, "FINE-1", on_hand=50, reorder_point=Decimal(10))
    # Not stocked or inactive: never sold out, oversold or low, whatever their counters say.
    item(merchant, "SERVICE-1", on_hand=0, type=ItemType.SERVICE)
    item(merchant, "UNTRACKED-1", on_hand=0, reserved=2, tracked=False)
    item(merchant, "GONE-1", on_hand=0, reserved=1, active=False)

    open_orders = [OrderFactory(connection=shop) for _ in range(3)]
    closed = OrderFactory(connection=woo, status=OrderStatus.FULFILLED)
    staged = [
        OrderLineFactory(order=open_orders[0], product_code="TYPO-1", code_normalized="TYPO-1", quantity=2),
        OrderLineFactory(order=open_orders[1], product_code="typo-1", code_normalized="TYPO-1", quantity=1),
        OrderLineFactory(order=open_orders[2], product_code="NEW-9", code_normalized="NEW-9", quantity=4),
        # The same code on another channel waits separately: one more code.
        OrderLineFactory(order=closed, product_code="NEW-9", code_normalized="NEW-9", quantity=1),
    ]
    OrderLineFactory(order=open_orders[0], item=fine, state=LineState.LIVE, quantity=1)
    OrderLineFactory(order=closed, item=fine, state=LineState.POSTED, quantity=7)

    drifted = [
        ListingFactory(
            connection=shop, item=fine, last_push_outcome="drift", last_pushed_qty=50, drift_qty=48
        ),
        ListingFactory(connection=woo, item=low, last_push_outcome="drift", last_pushed_qty=4, drift_qty=9),
    ]
    ListingFactory(connection=shop, item=low, last_push_outcome="ok", last_pushed_qty=4)
    ListingFactory(connection=woo, item=fine, last_push_outcome="error", last_push_error="boom")
    ListingFactory(connection=woo, item=None)

    failed = [
        ActivityFactory(merchant=merchant, connection=shop, outcome=Outcome.ERROR, summary="Push failed"),
        ActivityFactory(merchant=merchant, connection=None, outcome=Outcome.ERROR, summary="Webhook failed"),
    ]
    ActivityFactory(merchant=merchant, outcome=Outcome.ERROR, resolved_at=timezone.now(), summary="Retried")
    ActivityFactory(merchant=merchant, outcome=Outcome.WARNING, summary="Slow")
    ActivityFactory(merchant=merchant, outcome=Outcome.OK, summary="Pushed 3")
    return {
        "oversold": {oversold.pk},
        "sold_out": {oversold.pk, sold_out.pk},
        "below_reorder": {low.pk, low_too.pk},
        "staged": {line.pk for line in staged},
        "drift": {listing.pk for listing in drifted},
        "failed_jobs": {entry.pk for entry in failed},
        "open_orders": {order.pk for order in open_orders},
    }


@pytest.fixture
def viewer():
    return MembershipFactory(role=Role.VIEWER)


@pytest.fixture
def expected(viewer):
    rows = populate(viewer.merchant)
    populate(MembershipFactory().merchant)  # another merchant's rows never count here
    return rows


def overview_links(content: str) -> dict[str, tuple[str, int]]:
    """figure name -> (link, number shown), read from the overview's HTML."""
    found = re.findall(
        r'<a href="([^"]+)" data-testid="figure-(\w+)"><span class="number">(-?\d+)</span>', content
    )
    return {name: (html.unescape(href), int(number)) for href, name, number in found}


def rows_of(client, url: str) -> list:
    response = client.get(url)
    assert response.status_code == 200, url
    return list(response.context["table"].data)


def test_the_overview_counts_what_needs_attention(client, viewer, expected):
    client.force_login(viewer.user)
    response = client.get(reverse("overview"))
    figures = response.context["figures"]
    assert figures == {
        "items": 5,
        "oversold": 1,
        "sold_out": 2,
        "below_reorder": 2,
        "staged_lines": 4,
        "staged_units": 8,
        "staged_codes": 3,
        "open_orders": 3,
        "drift": 2,
        "failed_jobs": 2,
    }
    links = overview_links(response.content.decode())
    assert set(links) == set(expected)
    assert {name: number for name, (_, number) in links.items()} == {
        "oversold": 1,
        "sold_out": 2,
        "below_reorder": 2,
        "staged": 4,
        "drift": 2,
        "failed_jobs": 2,
        "open_orders": 3,
    }


@pytest.mark.parametrize(
    "figure", ["oversold", "sold_out", "below_reorder", "drift", "failed_jobs", "open_orders"]
)
def test_each_figure_links_to_a_list_of_exactly_its_rows(client, viewer, expected, figure):
    client.force_login(viewer.user)
    links = overview_links(client.get(reverse("overview")).content.decode())
    url, number = links[figure]
    rows = rows_of(client, url)
    assert {row.pk for row in rows} == expected[figure]
    assert len(rows) == number


def test_the_staged_figure_links_to_the_staging_area_with_the_same_lines(client, viewer, expected):
    client.force_login(viewer.user)
    response = client.get(reverse("overview"))
    url, number = overview_links(response.content.decode())["staged"]
    page = client.get(url)
    rows = list(page.context["table"].data)
    assert sum(row["lines"] for row in rows) == number == len(expected["staged"])
    assert sum(row["units"] for row in rows) == response.context["figures"]["staged_units"]
    assert len(rows) == response.context["figures"]["staged_codes"]
    assert page.context["totals"] == {"lines": 4, "units": 8}
    assert "<strong>4</strong> order lines (8 units) over 3 product codes waiting." in page.content.decode()


def test_the_drift_list_shows_what_the_channel_had_against_what_the_hub_pushed(client, viewer, expected):
    client.force_login(viewer.user)
    content = client.get(reverse("listings") + "?outcome=drift").content.decode()
    assert content.count('class="badge warn"') == 2
    assert "Drifted" in content
    assert "boom" not in content  # the failed push is another filter


def test_the_listings_filters(client, viewer, expected):
    client.force_login(viewer.user)
    merchant = viewer.merchant
    everything = rows_of(client, reverse("listings"))
    assert len(everything) == 5
    unmatched = rows_of(client, reverse("listings") + "?matched=false")
    assert [row.item_id for row in unmatched] == [None]
    woo = merchant_connection(merchant, "WooCommerce")
    on_woo = rows_of(client, reverse("listings") + f"?connection={woo.pk}")
    assert {row.connection_id for row in on_woo} == {woo.pk} and len(on_woo) == 3
    failed = rows_of(client, reverse("listings") + "?outcome=error")
    assert [row.last_push_error for row in failed] == ["boom"]
    never = rows_of(client, reverse("listings") + "?outcome=never")
    assert len(never) == 1
    sku = everything[0].sku
    assert [row.sku for row in rows_of(client, reverse("listings") + f"?q={sku.lower()}")] == [sku]


def merchant_connection(merchant: Merchant, name: str):
    from channels.models import Connection

    return Connection.objects.get(merchant=merchant, name=name)


def test_the_connections_panel_shows_status_last_sync_and_sync_now_for_staff(client):
    staff = MembershipFactory(role=Role.STAFF)
    synced_at = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    ConnectionFactory(
        merchant=staff.merchant,
        name="QuickBooks",
        kind=ConnectionKind.QUICKBOOKS,
        role=ConnectionRole.MASTER,
        last_success_at=synced_at,
    )
    shop = ConnectionFactory(merchant=staff.merchant, name="Shopify", sync_inventory=True)
    ConnectionFactory(
        merchant=staff.merchant,
        name="Old shop",
        status=ConnectionStatus.NEEDS_ATTENTION,
        last_error="401 Unauthorized: the access token was revoked",
        last_error_at=synced_at,
    )
    ConnectionFactory(name="Someone else's shop")
    client.force_login(staff.user)

    content = client.get(reverse("overview")).content.decode()
    panel = content[content.index('id="connections-heading"') :]
    positions = [panel.index(f">{name}</a>") for name in ("QuickBooks", "Old shop", "Shopify")]
    assert positions == sorted(positions)  # the master first, then the channels by name
    assert "Someone else" not in panel
    assert 'datetime="2026-11-20T09:30:00+00:00"' in panel
    assert "never" in panel  # the shops have not synced yet
    assert "Needs attention" in panel and "access token was revoked" in panel
    # Sync now only for active connections (two of three), and it comes back to the overview.
    assert panel.count(">Sync now</button>") == 2
    assert 'aria-label="Sync now: Shopify"' in panel
    response = client.post(reverse("connection-sync-now", args=[shop.pk]), {"next": reverse("overview")})
    assert response.status_code == 302 and response["Location"] == reverse("overview")


def test_viewers_see_the_connections_but_no_sync_now(client, viewer):
    ConnectionFactory(merchant=viewer.merchant, name="Shopify")
    client.force_login(viewer.user)
    content = client.get(reverse("overview")).content.decode()
    assert "Shopify" in content
    assert ">Sync now</button>" not in content
