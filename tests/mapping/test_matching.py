"""The staging area: add matching, unmatch, suggestions."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from channels.adapters.base import ExternalOrder, ExternalOrderLine
from channels.adapters.base import OrderStatus as Channel
from inventory_sync.models import Item, LineState, OrderLine
from inventory_sync.services import stock
from inventory_sync.services.orders import order_apply_snapshot
from mapping.models import Matching
from mapping.services import (
    MatchingError,
    accept_exact_suggestions,
    add_matching,
    remove_matching,
    suggest_items,
)
from tests.factories import ConnectionFactory, ItemFactory, ListingFactory, MerchantFactory, stocked_item

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def merchant():
    return MerchantFactory()


@pytest.fixture
def shop(merchant):
    return ConnectionFactory(merchant=merchant, sync_inventory=True)


def sell(shop, order_id, code, quantity):
    line = ExternalOrderLine(external_id=f"{order_id}-1", sku=code, barcode="", title=code, quantity=quantity)
    order = ExternalOrder(
        external_id=order_id,
        number=order_id,
        status=Channel.OPEN,
        created_at=T0,
        updated_at=T0,
        lines=(line,),
        currency="USD",
        total=Decimal(1),
    )
    order_apply_snapshot(connection=shop, snapshot=order, source="test")


def available(item):
    return Item.objects.get(pk=item.pk).available


def test_adding_a_matching_moves_every_waiting_line_live_at_once(merchant, shop, django_user_model):
    hooks = stocked_item(merchant=merchant, on_hand=50, sku="HOOK-STEEL-10")
    sell(shop, "1", "HOOK-STEL-10", 2)
    sell(shop, "2", "hook-stel-10", 3)
    sell(shop, "3", "HOOK-STEEL-1O", 1)  # another typo, matched in the same step
    assert available(hooks) == 50
    listing = ListingFactory(connection=shop, sku="HOOK-STEL-10", code_normalized="HOOK-STEL-10", item=None)
    staff = django_user_model.objects.create_user("staff-member")

    outcome = add_matching(connection=shop, codes=["HOOK-STEL-10", "HOOK-STEEL-1O"], item=hooks, user=staff)

    assert (outcome.lines_moved, outcome.units_moved, outcome.listings_matched) == (3, 6, 1)
    assert shop.name in outcome.channels_to_push
    assert available(hooks) == 44
    assert set(OrderLine.objects.values_list("state", flat=True)) == {LineState.LIVE}
    listing.refresh_from_db()
    assert listing.item_id == hooks.pk
    assert listing.push_pending  # a newly matched product is pushed at once
    assert Matching.objects.get(code_normalized="HOOK-STEL-10").created_by == staff
    # Later orders with the code go live directly.
    sell(shop, "4", "HOOK-STEL-10", 1)
    assert available(hooks) == 43
    assert stock.check_counters(merchant=merchant) == []


def test_unmatching_sends_live_lines_back_to_staging(merchant, shop):
    wrong = stocked_item(merchant=merchant, on_hand=10, sku="SHELF-OAK-80")
    sell(shop, "1", "SHELF-BRKT-2", 2)
    add_matching(connection=shop, codes=["SHELF-BRKT-2"], item=wrong)
    assert available(wrong) == 8

    assert remove_matching(matching=Matching.objects.get(code_normalized="SHELF-BRKT-2")) == 1

    assert available(wrong) == 10
    line = OrderLine.objects.get()
    assert (line.state, line.item_id) == (LineState.STAGED, None)
    right = stocked_item(merchant=merchant, on_hand=10, sku="SHELF-BRKT-02")
    add_matching(connection=shop, codes=["SHELF-BRKT-2"], item=right)
    assert (available(wrong), available(right)) == (10, 8)
    assert stock.check_counters(merchant=merchant) == []


def test_a_code_matched_to_another_item_is_refused(merchant, shop):
    first = stocked_item(merchant=merchant, on_hand=1, sku="X-1")
    second = stocked_item(merchant=merchant, on_hand=1, sku="X-2")
    sell(shop, "1", "X", 1)
    add_matching(connection=shop, codes=["X"], item=first)
    with pytest.raises(MatchingError, match="already matched"):
        add_matching(connection=shop, codes=["X"], item=second)
    assert available(second) == 1


def test_another_merchants_item_is_refused(merchant, shop):
    foreign = ItemFactory(merchant=MerchantFactory())
    with pytest.raises(MatchingError, match="another merchant"):
        add_matching(connection=shop, codes=["X"], item=foreign)
    assert not Matching.objects.exists()


def test_suggestions_put_loose_equality_first_then_similarity(merchant, shop):
    target = ItemFactory(merchant=merchant, sku="BIN-LID-004", name="Bin lid")
    close = ItemFactory(merchant=merchant, sku="BIN-LID-005", name="Bin lid, grey")
    ItemFactory(merchant=merchant, sku="TOWEL-BATH-GRY", name="Bath towel")

    ranked = suggest_items(connection=shop, code="bin lid 004")

    assert ranked[0].item_id == target.pk and ranked[0].exact
    assert close.pk in [s.item_id for s in ranked[1:]]
    assert all(not s.exact for s in ranked[1:])
    typo = suggest_items(connection=shop, code="BIN-LID-04")
    assert typo[0].item_id in (target.pk, close.pk) and not typo[0].exact


def test_accept_all_exact_suggestions_in_one_step(merchant, shop):
    lid = stocked_item(merchant=merchant, on_hand=5, sku="BIN-LID-004")
    stocked_item(merchant=merchant, on_hand=5, sku="HOOK-STEEL-10")
    sell(shop, "1", "BIN LID 004", 1)  # loose-exact: accepted
    sell(shop, "2", "HOOK-STEL-10", 1)  # a real typo: left for staff
    outcomes = accept_exact_suggestions(connection=shop)
    assert [o.item_id for o in outcomes] == [lid.pk]
    assert available(lid) == 4
    assert OrderLine.objects.filter(state=LineState.STAGED).count() == 1
