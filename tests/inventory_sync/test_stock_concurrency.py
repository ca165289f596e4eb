"""Real PostgreSQL transactions racing each other through the stock services.

Each thread has its own database connection (Django's are per thread), so these are separate
transactions contending for the same rows, exactly as workers on several machines would.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from inventory_sync.models import Item, Reservation, ReservationState, StockMovement
from inventory_sync.services import stock
from inventory_sync.services.stock import MasterReading
from tests.factories import ConnectionFactory, MerchantFactory, OrderLineFactory, stocked_item

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8


def race(work: Callable[[int], None], threads: int = THREADS) -> list[BaseException]:
    """Run work(i) in `threads` threads released at the same instant; return their errors."""
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)
    return errors


def test_eight_channels_selling_one_item_at_once_lose_no_update():
    merchant = MerchantFactory()
    channels = [ConnectionFactory(merchant=merchant) for _ in range(THREADS)]
    item = stocked_item(merchant=merchant, on_hand=500)
    rng = random.Random(7)
    plan = {i: [rng.randint(1, 4) for _ in range(25)] for i in range(THREADS)}

    def sell(index: int) -> None:
        for quantity in plan[index]:
            line = OrderLineFactory(order__connection=channels[index], item=item, quantity=quantity)
            stock.reserve_lines(lines=[line], source=f"channel {index}")

    assert race(sell) == []

    sold = sum(sum(quantities) for quantities in plan.values())
    item = Item.objects.get(pk=item.pk)
    assert item.reserved == sold
    assert item.available == 500 - sold
    assert Reservation.objects.filter(item=item, state=ReservationState.OPEN).count() == THREADS * 25
    assert stock.check_counters(merchant=merchant) == []


def test_sales_releases_and_master_reads_interleaved_keep_the_books_exact():
    merchant = MerchantFactory()
    shop = ConnectionFactory(merchant=merchant)
    items = [stocked_item(merchant=merchant, on_hand=100) for _ in range(3)]
    start = datetime(2026, 11, 2, tzinfo=UTC)

    def work(index: int) -> None:
        rng = random.Random(index)
        for step in range(20):
            if index % 4 == 3:
                # A master reader: readings arrive out of order on purpose.
                item = rng.choice(items)
                when = start + timedelta(minutes=rng.randint(1, 500))
                reading = MasterReading(item.pk, Decimal(rng.randint(50, 150)), when, str(step))
                stock.apply_master_readings(merchant=merchant, readings=[reading], source=f"reader {index}")
                continue
            # A sale touching two items at once, listed in random order (locks stay pk-ordered).
            chosen = rng.sample(items, 2)
            lines = [
                OrderLineFactory(order__connection=shop, item=it, quantity=rng.randint(1, 3)) for it in chosen
            ]
            stock.reserve_lines(lines=lines, source=f"seller {index}")
            if rng.random() < 0.4:
                stock.release_lines(lines=lines[:1], reason="cancelled", source=f"seller {index}")

    assert race(work) == []

    assert stock.check_counters(merchant=merchant) == []
    for item in Item.objects.filter(pk__in=[i.pk for i in items]):
        open_units = sum(
            r.quantity for r in Reservation.objects.filter(item=item, state=ReservationState.OPEN)
        )
        assert item.reserved == open_units
        assert item.available == item.master_on_hand - open_units
        # The newest reading won, whatever order they arrived in.
        newest = StockMovement.objects.filter(item=item, kind="master_refresh").order_by("-id").first()
        if newest is not None:
            assert item.master_on_hand == newest.on_hand_after


def test_the_same_line_reserved_by_eight_workers_at_once_is_reserved_once():
    merchant = MerchantFactory()
    item = stocked_item(merchant=merchant, on_hand=50)
    line = OrderLineFactory(order__connection=ConnectionFactory(merchant=merchant), item=item, quantity=5)
    outcomes: list[str] = []

    def reserve(index: int) -> None:
        try:
            stock.reserve_lines(lines=[line], source=f"duplicate webhook {index}")
            outcomes.append("reserved")
        except stock.AlreadyReserved:
            outcomes.append("refused")

    assert race(reserve) == []

    assert sorted(outcomes) == ["refused"] * (THREADS - 1) + ["reserved"]
    assert Item.objects.get(pk=item.pk).available == 45
    assert stock.check_counters(merchant=merchant) == []


def test_the_same_master_reading_applied_by_eight_workers_is_counted_once():
    merchant = MerchantFactory()
    item = stocked_item(merchant=merchant, on_hand=10)
    reading = MasterReading(item.pk, Decimal(40), datetime(2026, 11, 3, tzinfo=UTC), "9")

    assert (
        race(lambda i: stock.apply_master_readings(merchant=merchant, readings=[reading], source=f"w{i}"))
        == []
    )

    assert Item.objects.get(pk=item.pk).master_on_hand == 40
    assert StockMovement.objects.filter(item=item).count() == 2  # the seed and this reading, once
    assert stock.check_counters(merchant=merchant) == []
