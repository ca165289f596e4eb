"""push_stock against the emulator: batch figures, compare-and-set and drift, both API shapes, and
every fault survived without a write applied twice."""

from __future__ import annotations

import math

import pytest

from channels.adapters.base import PushOutcome, StockUpdate, TransientChannelError

from .support import add_variants, operations, seeded_update, update_for, writes


@pytest.mark.parametrize("count", [1, 250, 251, 1000])
def test_write_calls_are_ceil_n_over_250(adapter, shop, count):
    created = add_variants(shop, count, available=10)
    updates = [update_for(shop, c, quantity=20 + n % 7, compare=10) for n, c in enumerate(created)]

    results = adapter.push_stock(updates, idempotency_key=f"push:batch:{count}")

    assert [r.outcome for r in results] == [PushOutcome.OK] * count
    assert [r.listing_external_id for r in results] == [u.listing_external_id for u in updates]
    assert [r.quantity for r in results] == [u.quantity for u in updates]
    expected_calls = math.ceil(count / 250)
    assert operations(shop)["inventorySetQuantities"] == expected_calls
    assert writes(shop) == (expected_calls, [])
    variants = shop.control("GET", "variants").json()
    assert [variants[c["sku"]]["available"] for c in created] == [u.quantity for u in updates]


def test_a_manual_edit_is_reported_as_drift_and_the_rest_is_written(adapter, shop):
    updates = [
        seeded_update(shop, "BIN-LG-001", 200),
        seeded_update(shop, "BIN-MD-002", 300),
        seeded_update(shop, "BIN-SM-003", 400),
    ]
    # The merchant edits one of them in the Shopify admin after the hub last looked.
    shop.control("POST", "inventory", json={"sku": "BIN-MD-002", "available": 7})

    results = adapter.push_stock(updates, idempotency_key="push:drift")

    assert [(r.outcome, r.quantity) for r in results] == [
        (PushOutcome.OK, 200),
        (PushOutcome.DRIFT, 7),  # what Shopify holds now, for the hub to compare next time
        (PushOutcome.OK, 400),
    ]
    assert shop.available("BIN-LG-001") == 200
    assert shop.available("BIN-MD-002") == 7  # the merchant's edit is not overwritten blindly
    assert shop.available("BIN-SM-003") == 400
    ops = operations(shop)
    assert ops["inventorySetQuantities"] == 2  # the refused call, then the others once more
    assert ops["nodes"] == 1  # one read of the chunk's levels
    assert writes(shop) == (1, [])


def test_an_unknown_compare_value_overwrites_without_comparing(adapter, shop):
    shop.control("POST", "inventory", json={"sku": "SHELF-OAK-80", "available": 3})
    update = seeded_update(shop, "SHELF-OAK-80", 50)
    unknown = StockUpdate(update.listing_external_id, 50, None, update.inventory_item_id, update.location_id)

    results = adapter.push_stock([unknown], idempotency_key="push:no-compare")

    assert [(r.outcome, r.quantity) for r in results] == [(PushOutcome.OK, 50)]
    assert shop.available("SHELF-OAK-80") == 50
    assert operations(shop)["inventorySetQuantities"] == 1


def test_a_lost_answer_is_retried_with_the_same_key_and_applied_once(adapter, shop):
    shop.knobs(timeout_seconds=0.5)
    shop.fault(kind="lost", operation="inventorySetQuantities", count=1)
    adapter.client.timeout = 0.2
    updates = [seeded_update(shop, "BIN-LG-001", 11), seeded_update(shop, "HOOK-BRASS-04", 12)]

    results = adapter.push_stock(updates, idempotency_key="push:lost")

    # Shopify replays its first answer for the repeated key: no second write and no false drift.
    assert [(r.outcome, r.quantity) for r in results] == [(PushOutcome.OK, 11), (PushOutcome.OK, 12)]
    assert operations(shop)["inventorySetQuantities"] == 2
    assert writes(shop) == (1, [])
    assert shop.available("BIN-LG-001") == 11


@pytest.mark.parametrize("kind", ["error", "timeout", "throttle"])
def test_refused_or_timed_out_calls_are_retried(adapter, shop, kind, sleeper):
    shop.knobs(timeout_seconds=0.4)
    adapter.client.timeout = 0.2
    shop.fault(kind=kind, operation="inventorySetQuantities", count=2)
    updates = [seeded_update(shop, "BIN-SM-003", 33)]

    results = adapter.push_stock(updates, idempotency_key=f"push:{kind}")

    assert [(r.outcome, r.quantity) for r in results] == [(PushOutcome.OK, 33)]
    assert operations(shop)["inventorySetQuantities"] == 3
    assert writes(shop) == (1, [])
    assert shop.available("BIN-SM-003") == 33
    assert len(sleeper.waits) == 2  # one wait before each retry


def test_lost_answers_under_random_faults_never_apply_twice(make_adapter, shop):
    adapter = make_adapter(max_attempts=8, timeout=0.3)
    created = add_variants(shop, 600, available=5)
    shop.knobs(timeout_seconds=0.4, lost_response_rate=0.3, error_rate=0.2, seed=7)

    results = adapter.push_stock(
        [update_for(shop, c, quantity=9, compare=5) for c in created], idempotency_key="push:chaos"
    )

    shop.knobs(lost_response_rate=0, error_rate=0)
    assert {r.outcome for r in results} == {PushOutcome.OK}
    applied, twice = writes(shop)
    assert twice == []
    assert applied == 3  # ceil(600 / 250) groups, each applied exactly once
    variants = shop.control("GET", "variants").json()
    assert {variants[c["sku"]]["available"] for c in created} == {9}


def test_exhausted_retries_raise_transient_and_write_nothing(make_adapter, shop):
    adapter = make_adapter(max_attempts=3)
    shop.fault(kind="error", operation="inventorySetQuantities", count=5)

    with pytest.raises(TransientChannelError) as caught:
        adapter.push_stock([seeded_update(shop, "BIN-LID-004", 1)], idempotency_key="push:down")

    assert caught.value.status == 500
    assert operations(shop)["inventorySetQuantities"] == 3
    assert writes(shop) == (0, [])
    assert shop.available("BIN-LID-004") == 500


def test_a_job_retry_with_other_quantities_is_not_a_key_mismatch(adapter, shop):
    first = adapter.push_stock([seeded_update(shop, "BAG-VAC-4", 100)], idempotency_key="push:7:1:1:1")
    # The hub's next attempt under the same batch key carries another quantity (stock moved).
    second = adapter.push_stock(
        [seeded_update(shop, "BAG-VAC-4", 90, compare=100)], idempotency_key="push:7:1:1:1"
    )

    assert [r.outcome for r in first + second] == [PushOutcome.OK, PushOutcome.OK]
    assert shop.available("BAG-VAC-4") == 90
    assert writes(shop) == (2, [])


def test_missing_inventory_item_ids_are_looked_up(adapter, shop):
    update = seeded_update(shop, "JAR-GLASS-1L", 70, inventory_item_id="", location_id="")

    results = adapter.push_stock([update], idempotency_key="push:lookup")

    assert [(r.outcome, r.quantity) for r in results] == [(PushOutcome.OK, 70)]
    assert shop.available("JAR-GLASS-1L") == 70
    ops = operations(shop)
    assert ops["inventorySetQuantities"] == 1
    assert ops["nodes"] == 1  # the variants' inventory items
    assert ops["locations"] == 1  # the primary location, looked up once


def test_a_row_shopify_refuses_is_an_error_and_the_others_are_written(adapter, shop):
    overflow = f"gid://shopify/Location/{shop.platform.store.primary_location_id + 1}"
    updates = [
        seeded_update(shop, "LAMP-DESK-BLK", 41),
        seeded_update(shop, "THROW-WOOL", 35, location_id=overflow),  # not stocked there
    ]

    results = adapter.push_stock(updates, idempotency_key="push:not-stocked")

    assert results[0].outcome == PushOutcome.OK
    assert results[1].outcome == PushOutcome.ERROR
    assert "not stocked" in results[1].message
    assert shop.available("LAMP-DESK-BLK") == 41
    assert writes(shop) == (1, [])


def test_the_cost_bucket_is_waited_for_instead_of_being_throttled(adapter, shop, sleeper):
    shop.control("POST", "plan", json={"maximum": 100, "restore_rate": 10})
    created = add_variants(shop, 30, available=4)
    ids = [str(c["variant_id"]) for c in created]
    adapter.location_gid()  # (a cheap call of its own)
    sleeper.waits.clear()

    first = adapter.read_quantities(ids)  # 30 ids x 3 points = 90 of the bucket's 100
    left = adapter.client.cost_bucket.available
    second = adapter.read_quantities(ids)

    assert first == second == dict.fromkeys(ids, 4)
    assert operations(shop)["nodes"] == 2  # no THROTTLED answer, no retry
    assert len(sleeper.waits) == 1
    assert sleeper.waits[0] == pytest.approx((90 - left) / 10, abs=0.1)  # only as long as needed


def test_a_throttled_answer_waits_for_the_points_it_needs(adapter, shop, sleeper):
    shop.control("POST", "plan", json={"maximum": 1000, "restore_rate": 50})
    adapter.check_connection()
    shop.fault(kind="throttle", operation="inventorySetQuantities", count=1)

    results = adapter.push_stock([seeded_update(shop, "CANISTER-SET", 61)], idempotency_key="push:thr")

    assert results[0].outcome == PushOutcome.OK
    assert operations(shop)["inventorySetQuantities"] == 2
    assert len(sleeper.waits) == 1
    assert writes(shop) == (1, [])
