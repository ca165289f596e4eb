"""Staff add a matching in the browser: staged lines go live and the item's availability falls."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from channels.adapters.base import ExternalOrder, ExternalOrderLine
from channels.adapters.base import OrderStatus as Channel
from inventory_sync.models import LineState, OrderLine, Role
from inventory_sync.services.orders import order_apply_snapshot
from tests.factories import ConnectionFactory, MembershipFactory, stocked_item

pytestmark = pytest.mark.django_db(transaction=True)


def sell(shop, number, code, quantity):
    line = ExternalOrderLine(external_id=f"{number}-1", sku=code, barcode="", title=code, quantity=quantity)
    at = datetime(2026, 11, 20, 10, number % 60, tzinfo=UTC)
    order_apply_snapshot(
        connection=shop,
        snapshot=ExternalOrder(
            str(number), f"#{number}", Channel.OPEN, at, at, (line,), currency="USD", total=Decimal(1)
        ),
        source="test",
    )


def test_staff_add_a_matching_and_the_waiting_lines_go_live(page, live_server, sign_in, screenshot):
    staff = MembershipFactory(role=Role.STAFF)
    merchant = staff.merchant
    shop = ConnectionFactory(merchant=merchant, name="Shopify")
    hooks = stocked_item(merchant=merchant, on_hand=50, sku="HOOK-STEEL-10", name="Steel hook, pack of 10")
    stocked_item(merchant=merchant, on_hand=5, sku="HOOK-BRASS-04", name="Brass hook, pack of 4")
    sell(shop, 1001, "HOOK-STEL-10", 2)
    sell(shop, 1002, "HOOK-STEL-10", 3)

    sign_in(staff.user)
    page.get_by_role("link", name="Product matching").click()
    row = page.get_by_role("row").filter(has_text="HOOK-STEL-10")
    assert row.get_by_role("cell", name="2", exact=True).is_visible()  # lines waiting
    assert row.get_by_role("cell", name="5", exact=True).is_visible()  # units waiting
    screenshot("staging")
    row.get_by_role("link", name="Add matching…").click()

    page.get_by_label("HOOK-STEEL-10 Steel hook, pack of 10").check()
    screenshot("chosen")
    page.get_by_role("button", name="Save matching and move the waiting lines to live").click()

    message = page.get_by_role("status")
    assert "2 line(s) and 5 unit(s) moved to live" in message.inner_text()
    assert page.get_by_role("row").filter(has_text="HOOK-STEL-10").count() == 0  # nothing waits any more
    screenshot("done")

    page.goto(f"{live_server.url}/items/{hooks.pk}/")
    assert page.get_by_test_id("available").inner_text() == "45"
    assert set(OrderLine.objects.values_list("state", flat=True)) == {LineState.LIVE}
    screenshot("item")


def test_searching_for_an_item_updates_in_place(page, live_server, sign_in, screenshot):
    staff = MembershipFactory(role=Role.STAFF)
    shop = ConnectionFactory(merchant=staff.merchant, name="Shopify")
    stocked_item(merchant=staff.merchant, on_hand=5, sku="LAMP-DESK-BLK", name="Desk lamp, black")
    sell(shop, 2001, "DESKLAMP", 1)
    sign_in(staff.user)
    page.goto(f"{live_server.url}/matching/match/?connection={shop.pk}&code=DESKLAMP")
    page.get_by_label("Search items").fill("desk lamp")
    page.get_by_label("LAMP-DESK-BLK Desk lamp, black").wait_for()
    screenshot()
