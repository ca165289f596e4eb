"""The list pages run a bounded number of queries whatever the page size: with 60 rows of
everything, a query per row (or per row and channel) would show as dozens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from channels.models import Activity, Listing, Outcome
from inventory_sync.models import Item, LineState, Order, OrderLine, Role
from tests.factories import ConnectionFactory, MembershipFactory

pytestmark = pytest.mark.django_db

ROWS = 60
MAX_QUERIES = 10
T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def viewer():
    """A merchant with ROWS items listed on two channels, ROWS open orders each with a live and a
    staged line (ROWS staged codes), and ROWS activity entries, half of them open errors."""
    membership = MembershipFactory(role=Role.VIEWER)
    merchant = membership.merchant
    shop = ConnectionFactory(merchant=merchant, name="Shopify")
    woo = ConnectionFactory(merchant=merchant, name="WooCommerce")
    items = Item.objects.bulk_create(
        Item(
            merchant=merchant,
            sku=f"SKU-{n:03d}",
            sku_normalized=f"SKU-{n:03d}",
            name=f"Item {n}",
            master_id=str(n),
            master_on_hand=Decimal(n % 7),
            reserved=Decimal(n % 3),
            reorder_point=Decimal(5) if n % 2 else None,
        )
        for n in range(ROWS)
    )
    Listing.objects.bulk_create(
        Listing(
            merchant=merchant,
            connection=connection,
            external_id=f"{connection.pk}-{item.pk}",
            sku=item.sku,
            code_normalized=item.sku,
            item=item,
            last_pushed_qty=3,
            last_push_outcome="drift" if item.pk % 4 == 0 else "ok",
        )
        for connection in (shop, woo)
        for item in items
    )
    orders = Order.objects.bulk_create(
        Order(
            merchant=merchant,
            connection=shop if n % 2 else woo,
            external_id=str(n),
            number=f"#{1000 + n}",
            channel_created_at=T0 + timedelta(minutes=n),
            channel_updated_at=T0 + timedelta(minutes=n),
        )
        for n in range(ROWS)
    )
    OrderLine.objects.bulk_create(
        line
        for n, (order, item) in enumerate(zip(orders, items, strict=True))
        for line in (
            OrderLine(
                merchant=merchant,
                order=order,
                connection_id=order.connection_id,
                external_id=f"{n}-1",
                product_code=item.sku,
                code_normalized=item.sku,
                item=item,
                state=LineState.LIVE,
                quantity=1 + n % 3,
            ),
            OrderLine(
                merchant=merchant,
                order=order,
                connection_id=order.connection_id,
                external_id=f"{n}-2",
                product_code=f"typo-{n:03d}",
                code_normalized=f"TYPO-{n:03d}",
                quantity=2,
            ),
        )
    )
    Activity.objects.bulk_create(
        Activity(
            merchant=merchant,
            connection=shop if n % 2 else None,
            kind="push",
            outcome=Outcome.ERROR if n % 2 else Outcome.OK,
            summary=f"Entry {n}",
        )
        for n in range(ROWS)
    )
    return membership


def _rows(response) -> int:
    return len(response.context["table"].page.object_list)


PAGES = [
    ("items", ""),
    ("items", "sort=-available"),
    ("items", "sort=name&q=item&status=below_reorder"),
    ("staging", ""),
    ("staging", "q=typo&sort=-lines"),
    ("orders", ""),
    ("orders", "status=open&staged=true&sort=-units"),
    ("activity", ""),
    ("activity", "outcome=error&open_errors=true"),
    ("listings", ""),
    ("listings", "outcome=drift&sort=available"),
]


@pytest.mark.parametrize("per_page", [10, 500])
@pytest.mark.parametrize("page", PAGES, ids=[f"{name}?{query}" for name, query in PAGES])
def test_list_pages_run_at_most_ten_queries(client, viewer, django_assert_max_num_queries, page, per_page):
    name, query = page
    client.force_login(viewer.user)
    url = f"{reverse(name)}?per_page={per_page}&{query}"
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(url)
    assert response.status_code == 200
    total = response.context["table"].paginator.count
    assert total >= 10, f"{url} shows only {total} rows: the test would not see a per-row query"
    assert _rows(response) == min(per_page, total)


def test_the_overview_runs_a_fixed_handful_of_queries(client, viewer, django_assert_max_num_queries):
    client.force_login(viewer.user)
    with django_assert_max_num_queries(MAX_QUERIES + 2):
        response = client.get(reverse("overview"))
    assert response.context["figures"]["staged_lines"] == ROWS


def test_the_items_page_shows_each_channels_pushed_quantity(client, viewer):
    client.force_login(viewer.user)
    content = client.get(reverse("items") + "?per_page=500").content.decode()
    assert "Pushed to Shopify" in content and "Pushed to WooCommerce" in content
    assert content.count('<span class="badge warn">drift</span>') == 2 * len(range(0, ROWS, 4))


def test_the_orders_page_flags_each_order_in_stock_or_backordered(client, viewer):
    client.force_login(viewer.user)
    content = client.get(reverse("orders") + "?per_page=500").content.decode()
    flagged = content.count(">In stock</span>") + content.count(">Backordered</span>")
    assert flagged == ROWS
