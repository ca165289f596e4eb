"""The stock equation: reservations, releases, postings and master readings, with the ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from inventory_sync.models import Item, LineState, MovementKind, Reservation, ReservationState, StockMovement
from inventory_sync.services import stock
from inventory_sync.services.stock import MasterReading
from tests.factories import ConnectionFactory, ItemFactory, MerchantFactory, OrderLineFactory, stocked_item

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def merchant():
    return MerchantFactory()


@pytest.fixture
def shop(merchant):
    return ConnectionFactory(merchant=merchant)


def line_for(shop, item, quantity=1, **kwargs):
    return OrderLineFactory(order__connection=shop, item=item, quantity=quantity, **kwargs)


def fresh(item: Item) -> Item:
    return Item.objects.get(pk=item.pk)


def test_a_reservation_lowers_availability_and_writes_one_ledger_row(merchant, shop):
    item = stocked_item(merchant=merchant, on_hand=10)
    line = line_for(shop, item, quantity=3)

    [reservation] = stock.reserve_lines(lines=[line], source="test")

    item = fresh(item)
    assert (item.master_on_hand, item.reserved, item.available) == (10, 3, 7)
    assert stock.availability(item=item) == 7
    line.refresh_from_db()
    assert line.state == LineState.LIVE
    movement = StockMovement.objects.get(reservation=reservation)
    assert (movement.kind, movement.reserved_delta, movement.on_hand_delta) == (MovementKind.RESERVE, 3, 0)
    assert (movement.on_hand_after, movement.reserved_after, movement.available_after) == (10, 3, 7)
    assert stock.check_counters(merchant=merchant) == []


def test_overselling_is_allowed_and_shows_negative_availability(merchant, shop):
    item = stocked_item(merchant=merchant, on_hand=2)
    stock.reserve_lines(lines=[line_for(shop, item, quantity=5)], source="test")
    assert fresh(item).available == -3


def test_release_cancel_and_unmatch_give_units_back(merchant, shop):
    item = stocked_item(merchant=merchant, on_hand=10)
    cancelled, dispatched, unmatched = (line_for(shop, item, quantity=q) for q in (1, 2, 3))
    stock.reserve_lines(lines=[cancelled, dispatched, unmatched], source="test")
    assert fresh(item).available == 4

    assert stock.release_lines(lines=[cancelled], reason="cancelled", source="test") == 1
    assert stock.release_lines(lines=[dispatched], reason="released", source="test") == 2
    assert stock.release_lines(lines=[unmatched], reason="unmatched", source="test") == 3

    assert fresh(item).available == 10
    states = {r.line_id: r.state for r in Reservation.objects.all()}
    assert states == {
        cancelled.pk: ReservationState.CANCELLED,
        dispatched.pk: ReservationState.RELEASED,
        unmatched.pk: ReservationState.RELEASED,
    }
    unmatched.refresh_from_db()
    assert (unmatched.state, unmatched.item_id) == (LineState.STAGED, None)
    assert stock.check_counters(merchant=merchant) == []


def test_releasing_twice_changes_nothing_the_second_time(merchant, shop):
    item = stocked_item(merchant=merchant, on_hand=10)
    line = line_for(shop, item, quantity=4)
    stock.reserve_lines(lines=[line], source="test")
    stock.release_lines(lines=[line], reason="cancelled", source="test")
    rows = StockMovement.objects.count()

    assert stock.release_lines(lines=[line], reason="cancelled", source="replayed webhook") == 0

    assert StockMovement.objects.count() == rows
    assert fresh(item).available == 10


def test_an_unmatched_line_can_be_matched_again_to_another_item(merchant, shop):
    wrong = stocked_item(merchant=merchant, on_hand=10)
    right = stocked_item(merchant=merchant, on_hand=10)
    line = line_for(shop, wrong, quantity=2)
    stock.reserve_lines(lines=[line], source="test")
    stock.release_lines(lines=[line], reason="unmatched", source="test")

    line.item = right
    line.save(update_fields=["item"])
    stock.reserve_lines(lines=[line], source="test")

    assert (fresh(wrong).available, fresh(right).available) == (10, 8)
    reservation = Reservation.objects.get(line=line)
    assert (reservation.item_id, reservation.revision, reservation.state) == (
        right.pk,
        3,
        ReservationState.OPEN,
    )
    assert stock.check_counters(merchant=merchant) == []


def test_a_partial_refund_shrinks_the_reservation(merchant, shop):
    item = stocked_item(merchant=merchant, on_hand=10)
    line = line_for(shop, item, quantity=5)
    stock.reserve_lines(lines=[line], source="test")

    line.refunded_quantity = 2
    line.save(update_fields=["refunded_quantity"])
    assert stock.resize_reservations(lines=[line], source="refund") == -2
    assert fresh(item).available == 7

    line.refunded_quantity = 5
    line.save(update_fields=["refunded_quantity"])
    stock.resize_reservations(lines=[line], source="refund")
    assert fresh(item).available == 10
    line.refresh_from_db()
    assert line.state == LineState.CANCELLED
    assert stock.check_counters(merchant=merchant) == []


# -- the master's quantities ---------------------------------------------------------------------


def test_a_newer_master_reading_moves_on_hand_and_an_older_one_is_ignored(merchant):
    item = stocked_item(merchant=merchant, on_hand=10, at=T0)

    applied = stock.apply_master_readings(
        merchant=merchant,
        readings=[MasterReading(item.pk, Decimal(25), T0 + timedelta(minutes=5), "3")],
        source="cdc",
    )
    assert applied == [item.pk]
    stale = stock.apply_master_readings(
        merchant=merchant,
        readings=[MasterReading(item.pk, Decimal(10), T0 + timedelta(minutes=1), "1")],
        source="late",
    )
    assert stale == []
    assert fresh(item).master_on_hand == 25
    assert stock.check_counters(merchant=merchant) == []


def test_a_stale_master_read_cannot_raise_availability_after_a_posting(merchant, shop):
    """The race DESIGN.md warns about: a read taken before a posting lands after it."""
    item = stocked_item(merchant=merchant, on_hand=100, at=T0)
    line = line_for(shop, item, quantity=30)
    [reservation] = stock.reserve_lines(lines=[line], source="order")
    read_before_posting = MasterReading(item.pk, Decimal(100), T0 + timedelta(minutes=1), "1")

    stock.post_reservations(
        merchant=merchant,
        reservation_ids=[reservation.pk],
        readings=[MasterReading(item.pk, Decimal(70), T0 + timedelta(minutes=2), "2")],
        posting_ref="payout-1",
        source="posting",
    )
    assert fresh(item).available == 70
    stock.apply_master_readings(merchant=merchant, readings=[read_before_posting], source="slow cdc")

    item = fresh(item)
    assert (item.master_on_hand, item.reserved, item.available) == (70, 0, 70)
    line.refresh_from_db()
    assert line.state == LineState.POSTED
    assert stock.check_counters(merchant=merchant) == []


def test_a_posting_replayed_after_a_crash_changes_nothing(merchant, shop):
    item = stocked_item(merchant=merchant, on_hand=100, at=T0)
    [reservation] = stock.reserve_lines(lines=[line_for(shop, item, quantity=30)], source="order")
    reading = MasterReading(item.pk, Decimal(70), T0 + timedelta(minutes=2), "2")
    kwargs = dict(
        merchant=merchant, reservation_ids=[reservation.pk], readings=[reading], posting_ref="p1", source="x"
    )

    first = stock.post_reservations(**kwargs)
    rows = StockMovement.objects.count()
    second = stock.post_reservations(**kwargs)

    assert (first.closed_reservations, first.closed_units) == (1, 30)
    assert (second.closed_reservations, second.closed_units) == (0, 0)
    assert StockMovement.objects.count() == rows
    assert fresh(item).available == 70


def test_a_repeated_idempotency_key_changes_nothing(merchant):
    item = stocked_item(merchant=merchant, on_hand=10, at=T0)
    reading = MasterReading(item.pk, Decimal(12), T0 + timedelta(minutes=1), "1")
    stock.apply_master_readings(merchant=merchant, readings=[reading], source="webhook")
    rows = StockMovement.objects.count()

    stock.apply_master_readings(merchant=merchant, readings=[reading], source="duplicate webhook")

    assert StockMovement.objects.count() == rows
    assert fresh(item).master_on_hand == 12
    assert stock.check_counters(merchant=merchant) == []


def test_the_ledger_is_append_only(merchant):
    item = stocked_item(merchant=merchant, on_hand=1)
    movement = StockMovement.objects.get(item=item)
    with pytest.raises(TypeError):
        movement.save()
    with pytest.raises(TypeError):
        movement.delete()
    with pytest.raises(TypeError):
        StockMovement.objects.filter(item=item).update(on_hand_delta=5)
    with pytest.raises(TypeError):
        StockMovement.objects.filter(item=item).delete()


def test_saving_a_stale_item_never_overwrites_its_counters(merchant, shop):
    item = stocked_item(merchant=merchant, on_hand=10)
    stale = Item.objects.get(pk=item.pk)
    stock.reserve_lines(lines=[line_for(shop, item, quantity=4)], source="order")

    stale.name = "Renamed"
    stale.save()

    item = fresh(item)
    assert (item.name, item.reserved, item.available) == ("Renamed", 4, 6)


def test_counter_check_reports_a_counter_that_drifted_from_the_ledger(merchant, shop):
    item = stocked_item(merchant=merchant, on_hand=10)
    stock.reserve_lines(lines=[line_for(shop, item, quantity=2)], source="order")
    Item.objects.filter(pk=item.pk).update(reserved=Decimal(5))  # a bug elsewhere, simulated

    [difference] = stock.check_counters(merchant=merchant)

    assert (difference.item_id, difference.counter, difference.stored, difference.from_ledger) == (
        item.pk,
        "reserved",
        5,
        2,
    )


# -- bad input: a typed error and no partial write ------------------------------------------------


def _nothing_written(merchant, item, rows_before):
    assert StockMovement.objects.count() == rows_before
    assert Reservation.objects.count() == 0
    assert fresh(item).reserved == 0
    assert stock.check_counters(merchant=merchant) == []


def test_zero_quantity_lines_are_refused(merchant, shop):
    item = stocked_item(merchant=merchant, on_hand=10)
    good = line_for(shop, item, quantity=2)
    empty = line_for(shop, item, quantity=0)
    rows = StockMovement.objects.count()
    with pytest.raises(stock.InvalidQuantity, match="no units to reserve"):
        stock.reserve_lines(lines=[good, empty], source="test")
    _nothing_written(merchant, item, rows)


def test_fully_refunded_lines_are_refused(merchant, shop):
    item = stocked_item(merchant=merchant, on_hand=10)
    line = line_for(shop, item, quantity=2, refunded_quantity=2)
    rows = StockMovement.objects.count()
    with pytest.raises(stock.InvalidQuantity):
        stock.reserve_lines(lines=[line], source="test")
    _nothing_written(merchant, item, rows)


def test_unmatched_lines_cannot_be_reserved(merchant, shop):
    item = stocked_item(merchant=merchant, on_hand=10)
    staged = line_for(shop, None, quantity=1, product_code="NOPE")
    rows = StockMovement.objects.count()
    with pytest.raises(stock.NotReservable, match="staging area"):
        stock.reserve_lines(lines=[line_for(shop, item), staged], source="test")
    _nothing_written(merchant, item, rows)


def test_a_second_reservation_of_the_same_line_is_refused(merchant, shop):
    item = stocked_item(merchant=merchant, on_hand=10)
    line = line_for(shop, item, quantity=2)
    stock.reserve_lines(lines=[line], source="test")
    rows = StockMovement.objects.count()
    with pytest.raises(stock.AlreadyReserved):
        stock.reserve_lines(lines=[line], source="duplicate")
    assert StockMovement.objects.count() == rows
    assert fresh(item).reserved == 2


def test_a_line_of_another_merchant_is_refused(merchant, shop):
    other = MerchantFactory()
    foreign_item = stocked_item(merchant=other, on_hand=10)
    line = line_for(shop, foreign_item, quantity=1)  # our line pointing at their item
    rows = StockMovement.objects.count()
    with pytest.raises(stock.CrossMerchant):
        stock.reserve_lines(lines=[line], source="test")
    assert StockMovement.objects.count() == rows
    assert fresh(foreign_item).reserved == 0


def test_lines_of_two_merchants_in_one_call_are_refused(merchant, shop):
    other_shop = ConnectionFactory()
    item = stocked_item(merchant=merchant, on_hand=10)
    other_item = stocked_item(merchant=other_shop.merchant, on_hand=10)
    with pytest.raises(stock.CrossMerchant):
        stock.reserve_lines(lines=[line_for(shop, item), line_for(other_shop, other_item)], source="test")
    assert Reservation.objects.count() == 0


def test_unknown_items_are_refused(merchant):
    with pytest.raises(stock.UnknownItem):
        stock.apply_master_readings(
            merchant=merchant, readings=[MasterReading(987654, Decimal(1), T0, "1")], source="test"
        )


def test_posting_another_merchants_reservations_is_refused(merchant, shop):
    other_shop = ConnectionFactory()
    other_item = stocked_item(merchant=other_shop.merchant, on_hand=10)
    [theirs] = stock.reserve_lines(lines=[line_for(other_shop, other_item, quantity=1)], source="test")
    with pytest.raises(stock.CrossMerchant):
        stock.post_reservations(
            merchant=merchant, reservation_ids=[theirs.pk], readings=[], posting_ref="x", source="x"
        )
    theirs.refresh_from_db()
    assert theirs.state == ReservationState.OPEN


def test_a_failure_midway_rolls_back_everything(merchant, shop, monkeypatch):
    first = stocked_item(merchant=merchant, on_hand=10)
    second = stocked_item(merchant=merchant, on_hand=10)
    lines = [line_for(shop, first, quantity=1), line_for(shop, second, quantity=1)]
    rows = StockMovement.objects.count()

    def flush_then_fail(ledger):
        # The ledger rows and the reservations are written; the counters are not: crash here.
        StockMovement.objects.bulk_create(ledger.rows)
        raise RuntimeError("database went away")

    monkeypatch.setattr(stock._Ledger, "flush", flush_then_fail)
    with pytest.raises(RuntimeError):
        stock.reserve_lines(lines=lines, source="test")

    assert StockMovement.objects.count() == rows
    assert Reservation.objects.count() == 0
    assert (fresh(first).reserved, fresh(second).reserved) == (0, 0)


def test_items_changed_is_announced_with_the_moved_items(merchant, shop):
    item = stocked_item(merchant=merchant, on_hand=10)
    untouched = ItemFactory(merchant=merchant)
    heard = []
    stock.items_changed.connect(lambda **kw: heard.append(kw["item_ids"]), weak=False, dispatch_uid="t")
    try:
        stock.reserve_lines(lines=[line_for(shop, item)], source="test")
    finally:
        stock.items_changed.disconnect(dispatch_uid="t")
    assert heard == [frozenset({item.pk})]
    assert untouched.pk not in heard[0]
