"""Orders in: snapshots applied idempotently, in any order, with staging and releases."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from channels.adapters.base import ExternalOrder, ExternalOrderLine
from channels.adapters.base import OrderStatus as Channel
from channels.models import Listing, ProductCodeType
from inventory_sync.models import Item, LineState, Order, OrderLine, OrderStatus, StockMovement
from inventory_sync.services import stock
from inventory_sync.services.orders import (
    OrderRejected,
    order_apply_snapshot,
    order_apply_snapshots,
    order_mark_dispatched,
)
from mapping.models import Matching, MatchingSource
from tests.factories import ConnectionFactory, ListingFactory, MerchantFactory, UserFactory, stocked_item

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def snapshot(*lines, status=Channel.OPEN, at=T0, external_id="1001", currency="USD", updated=None):
    return ExternalOrder(
        external_id=external_id,
        number=f"#{external_id}",
        status=status,
        created_at=at,
        updated_at=updated or at,
        lines=tuple(lines),
        currency=currency,
        total=Decimal("10"),
    )


def line(line_id, sku, quantity=1, refunded=0, barcode=""):
    return ExternalOrderLine(
        external_id=line_id,
        sku=sku,
        barcode=barcode,
        title=f"{sku} title",
        quantity=quantity,
        refunded_quantity=refunded,
        unit_price=Decimal("5"),
    )


@pytest.fixture
def merchant():
    return MerchantFactory()


@pytest.fixture
def shop(merchant):
    return ConnectionFactory(merchant=merchant)


def available(item):
    return Item.objects.get(pk=item.pk).available


def test_a_new_order_reserves_matched_lines_and_stages_the_rest(merchant, shop):
    bin_ = stocked_item(merchant=merchant, on_hand=10, sku="SAMPLE-BIN")
    result = order_apply_snapshot(
        connection=shop,
        snapshot=snapshot(line("a", "sample-bin ", 3), line("b", "HOOK-STEL-10", 2)),
        source="t",
    )

    assert (result.created, result.lines_live, result.lines_staged) == (True, 1, 1)
    assert available(bin_) == 7
    staged = OrderLine.objects.get(external_id="b")
    assert (staged.state, staged.item_id, staged.code_normalized) == (LineState.STAGED, None, "HOOK-STEL-10")
    # The exact code was matched automatically, once.
    assert Matching.objects.get(connection=shop).source == MatchingSource.EXACT


def test_the_same_snapshot_twice_changes_nothing(merchant, shop):
    item = stocked_item(merchant=merchant, on_hand=10, sku="A")
    order = snapshot(line("a", "A", 2))
    order_apply_snapshot(connection=shop, snapshot=order, source="first")
    rows = StockMovement.objects.count()

    again = order_apply_snapshot(connection=shop, snapshot=order, source="duplicate")

    assert again.created is False
    assert StockMovement.objects.count() == rows
    assert available(item) == 8
    assert Order.objects.count() == 1 and OrderLine.objects.count() == 1


def test_an_older_snapshot_after_a_newer_one_is_ignored(merchant, shop):
    item = stocked_item(merchant=merchant, on_hand=10, sku="A")
    created = snapshot(line("a", "A", 2))
    cancelled = replace(created, status=Channel.CANCELLED, updated_at=T0 + timedelta(minutes=5))

    order_apply_snapshot(connection=shop, snapshot=cancelled, source="cancel arrives first")
    stale = order_apply_snapshot(connection=shop, snapshot=created, source="late create")

    assert stale.stale
    assert available(item) == 10
    assert Order.objects.get().status == OrderStatus.CANCELLED


def test_an_update_before_its_create_is_handled(merchant, shop):
    item = stocked_item(merchant=merchant, on_hand=10, sku="A")
    refunded_one = snapshot(line("a", "A", 3, refunded=1), updated=T0 + timedelta(minutes=2))
    result = order_apply_snapshot(connection=shop, snapshot=refunded_one, source="orders/updated")
    assert result.created and available(item) == 8
    order_apply_snapshot(connection=shop, snapshot=snapshot(line("a", "A", 3)), source="orders/create, late")
    assert available(item) == 8


def test_refunds_shrink_and_cancellations_release(merchant, shop):
    item = stocked_item(merchant=merchant, on_hand=10, sku="A")
    order_apply_snapshot(connection=shop, snapshot=snapshot(line("a", "A", 4)), source="create")
    order_apply_snapshot(
        connection=shop,
        snapshot=snapshot(line("a", "A", 4, refunded=1), updated=T0 + timedelta(minutes=1)),
        source="r",
    )
    assert available(item) == 7
    order_apply_snapshot(
        connection=shop,
        snapshot=snapshot(
            line("a", "A", 4, refunded=1), status=Channel.CANCELLED, updated=T0 + timedelta(minutes=2)
        ),
        source="cancel",
    )
    assert available(item) == 10
    assert OrderLine.objects.get().state == LineState.CANCELLED
    assert stock.check_counters(merchant=merchant) == []


def test_a_reopened_order_reserves_again(merchant, shop):
    item = stocked_item(merchant=merchant, on_hand=10, sku="A")
    order_apply_snapshot(connection=shop, snapshot=snapshot(line("a", "A", 2)), source="create")
    order_apply_snapshot(
        connection=shop,
        snapshot=snapshot(line("a", "A", 2), status=Channel.CANCELLED, updated=T0 + timedelta(1)),
        source="cancel",
    )
    order_apply_snapshot(
        connection=shop,
        snapshot=snapshot(line("a", "A", 2), updated=T0 + timedelta(2)),
        source="processing again",
    )
    assert available(item) == 8
    assert OrderLine.objects.get().state == LineState.LIVE
    assert stock.check_counters(merchant=merchant) == []


def test_fulfilment_keeps_the_reservation_until_the_master_records_the_sale(merchant, shop):
    item = stocked_item(merchant=merchant, on_hand=10, sku="A")
    order_apply_snapshot(connection=shop, snapshot=snapshot(line("a", "A", 2)), source="create")
    order_apply_snapshot(
        connection=shop,
        snapshot=snapshot(line("a", "A", 2), status=Channel.FULFILLED, updated=T0 + timedelta(1)),
        source="fulfilled",
    )
    assert available(item) == 8
    assert Order.objects.get().status == OrderStatus.FULFILLED


def test_mark_dispatched_releases_and_survives_later_channel_updates(merchant, shop):
    item = stocked_item(merchant=merchant, on_hand=10, sku="A")
    order_apply_snapshot(
        connection=shop, snapshot=snapshot(line("a", "A", 2), line("b", "NOPE", 1)), source="c"
    )
    order = Order.objects.get()

    assert order_mark_dispatched(order=order, user=UserFactory()) == 2

    assert available(item) == 10
    assert set(OrderLine.objects.values_list("state", flat=True)) == {LineState.RELEASED}
    order_apply_snapshot(
        connection=shop,
        snapshot=snapshot(
            line("a", "A", 2), line("b", "NOPE", 1), status=Channel.FULFILLED, updated=T0 + timedelta(1)
        ),
        source="fulfilled later",
    )
    assert available(item) == 10
    assert Order.objects.get().status == OrderStatus.DISPATCHED


def test_barcode_connections_match_on_barcodes(merchant):
    shop = ConnectionFactory(merchant=merchant, product_code_type=ProductCodeType.BARCODE)
    item = stocked_item(merchant=merchant, on_hand=5, sku="A", barcode="4000000000017")
    order_apply_snapshot(
        connection=shop, snapshot=snapshot(line("a", "whatever", 1, barcode="4000000000017")), source="t"
    )
    assert available(item) == 4


def test_an_own_sale_moves_the_channels_expected_quantity(merchant, shop):
    item = stocked_item(merchant=merchant, on_hand=10, sku="A")
    listing = ListingFactory(
        connection=shop,
        sku="A",
        code_normalized="A",
        item=item,
        last_seen_qty=10,
        last_seen_at=T0 - timedelta(hours=1),
    )
    order_apply_snapshot(connection=shop, snapshot=snapshot(line("a", "A", 3)), source="t")
    listing.refresh_from_db()
    assert listing.last_seen_qty == 7


def test_own_sales_of_many_codes_move_only_older_observations_of_this_channel(merchant, shop):
    """One statement adjusts every code of a batch; newer observations, untracked listings and
    other channels' listings are left as they are."""
    a = stocked_item(merchant=merchant, on_hand=10, sku="A")
    b = stocked_item(merchant=merchant, on_hand=10, sku="B")
    c = stocked_item(merchant=merchant, on_hand=10, sku="C")
    older = T0 - timedelta(hours=1)

    def listing(connection, code, item, *, seen_at=older, tracked=True):
        return ListingFactory(
            connection=connection,
            sku=code,
            code_normalized=code,
            item=item,
            tracked=tracked,
            last_seen_qty=10,
            last_seen_at=seen_at,
        )

    on_a = listing(shop, "A", a)
    on_b_newer = listing(shop, "B", b, seen_at=T0 + timedelta(minutes=1))
    on_c_untracked = listing(shop, "C", c, tracked=False)
    elsewhere = listing(ConnectionFactory(merchant=merchant), "A", a)
    order_apply_snapshots(
        connection=shop,
        snapshots=[
            snapshot(line("a1", "A", 3), line("b1", "B", 2), external_id="2001"),
            snapshot(line("a2", "A", 1), line("c1", "C", 4), external_id="2002"),
        ],
        source="t",
    )
    seen = dict(
        Listing.objects.filter(pk__in=[on_a.pk, on_b_newer.pk, on_c_untracked.pk, elsewhere.pk]).values_list(
            "pk", "last_seen_qty"
        )
    )
    assert seen == {on_a.pk: 6, on_b_newer.pk: 10, on_c_untracked.pk: 10, elsewhere.pk: 10}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (snapshot(line("a", "A", 0)), "quantity must be at least 1"),
        (snapshot(line("a", "A", -2)), "quantity must be at least 1"),
        (snapshot(line("a", "", 1)), "no SKU"),
        (snapshot(line("a", "A", 1), currency="XYZ"), "unknown currency"),
        (snapshot(line("a", "A", 1), line("a", "A", 1)), "repeated line id"),
        (snapshot(line("a", "A", 1, refunded=2)), "refunded quantity"),
    ],
)
def test_bad_orders_are_refused_whole(merchant, shop, bad, message):
    item = stocked_item(merchant=merchant, on_hand=10, sku="A")
    good_first = snapshot(line("x", "A", 1), external_id="999")
    order_apply_snapshot(connection=shop, snapshot=good_first, source="t")
    orders, lines, rows = Order.objects.count(), OrderLine.objects.count(), StockMovement.objects.count()

    with pytest.raises(OrderRejected, match=message):
        order_apply_snapshot(connection=shop, snapshot=bad, source="t")

    assert (Order.objects.count(), OrderLine.objects.count(), StockMovement.objects.count()) == (
        orders,
        lines,
        rows,
    )
    assert available(item) == 9


def test_a_resent_create_in_the_same_second_as_the_cancel_does_not_reopen(merchant, shop):
    """Platforms stamp updates to the second: a duplicate 'placed' delivered after 'cancelled'
    carries the same time, and must not bring the reservation back."""
    item = stocked_item(merchant=merchant, on_hand=10, sku="A")
    placed = snapshot(line("a", "A", 2))
    cancelled = replace(placed, status=Channel.CANCELLED)  # same updated_at
    order_apply_snapshot(connection=shop, snapshot=placed, source="create")
    order_apply_snapshot(connection=shop, snapshot=cancelled, source="cancel")
    again = order_apply_snapshot(connection=shop, snapshot=placed, source="duplicate create, late")
    assert again.stale
    assert available(item) == 10
    assert Order.objects.get().status == OrderStatus.CANCELLED


def test_refunds_in_the_same_second_only_grow(merchant, shop):
    item = stocked_item(merchant=merchant, on_hand=10, sku="A")
    order_apply_snapshot(connection=shop, snapshot=snapshot(line("a", "A", 4)), source="create")
    order_apply_snapshot(connection=shop, snapshot=snapshot(line("a", "A", 4, refunded=1)), source="refund")
    order_apply_snapshot(connection=shop, snapshot=snapshot(line("a", "A", 4)), source="duplicate create")
    assert available(item) == 7
    assert OrderLine.objects.get().refunded_quantity == 1


def test_many_snapshots_apply_in_one_batch_with_the_newest_of_each_order(merchant, shop):
    from inventory_sync.services.orders import order_apply_snapshots

    item = stocked_item(merchant=merchant, on_hand=100, sku="A")
    other = stocked_item(merchant=merchant, on_hand=100, sku="B")
    batch = [snapshot(line(f"{n}-1", "A", 1), line(f"{n}-2", "B", 2), external_id=str(n)) for n in range(50)]
    batch.append(replace(batch[0], status=Channel.CANCELLED, updated_at=T0 + timedelta(minutes=1)))
    batch.append(snapshot(line("x", "NOPE", 5), external_id="staged-one"))

    results = order_apply_snapshots(connection=shop, snapshots=batch, source="burst")

    assert len(results) == 51
    assert (available(item), available(other)) == (100 - 49, 100 - 98)
    assert OrderLine.objects.filter(state=LineState.STAGED).count() == 1
    assert Order.objects.get(external_id="0").status == OrderStatus.CANCELLED
    assert stock.check_counters(merchant=merchant) == []


def test_one_bad_snapshot_refuses_the_whole_batch(merchant, shop):
    from inventory_sync.services.orders import order_apply_snapshots

    stocked_item(merchant=merchant, on_hand=100, sku="A")
    batch = [snapshot(line("1", "A", 1), external_id="1"), snapshot(line("2", "A", 0), external_id="2")]
    with pytest.raises(OrderRejected):
        order_apply_snapshots(connection=shop, snapshots=batch, source="burst")
    assert not Order.objects.exists()
