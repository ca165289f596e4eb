"""The mutation shape follows the API version: `changeFromQuantity` + a required `@idempotent`
key from 2026-04, `compareQuantity` (+ an optional key from 2026-01) before, where "don't compare"
is `ignoreCompareQuantity` on the whole call."""

from __future__ import annotations

from channels.adapters.base import PushOutcome, StockUpdate

from .support import operations, seeded_update, writes

# On 2025-11-15 Shopify supports 2025-01 to 2025-10: the legacy shape, without idempotency keys.
LEGACY_DAY = "2025-11-15T12:00:00Z"


def _calls(shop) -> list[dict]:
    return [
        c for c in shop.control("GET", "calls").json()["calls"] if "inventorySetQuantities" in c["operations"]
    ]


def test_2026_01_compares_with_compare_quantity_under_a_key(make_adapter, shop):
    adapter = make_adapter(api_version="2026-01", timeout=0.2)
    shop.knobs(timeout_seconds=0.4)
    shop.fault(kind="lost", operation="inventorySetQuantities", count=1)
    shop.control("POST", "inventory", json={"sku": "HOOK-STEL-10", "available": 5})
    updates = [seeded_update(shop, "BIN-LG-001", 250), seeded_update(shop, "HOOK-STEL-10", 230, compare=220)]

    results = adapter.push_stock(updates, idempotency_key="push:v2601")

    assert [(r.outcome, r.quantity) for r in results] == [(PushOutcome.OK, 250), (PushOutcome.DRIFT, 5)]
    assert shop.available("BIN-LG-001") == 250
    assert shop.available("HOOK-STEL-10") == 5
    # stale (answer lost, then replayed for the same key), then the fresh row once more
    assert operations(shop)["inventorySetQuantities"] == 3
    assert writes(shop) == (1, [])


def test_legacy_version_without_keys_survives_a_lost_answer_without_false_drift(make_adapter, shop):
    shop.set_clock(LEGACY_DAY)
    adapter = make_adapter(api_version="2025-10", timeout=0.2)
    shop.knobs(timeout_seconds=0.4)
    shop.fault(kind="lost", operation="inventorySetQuantities", count=1)

    results = adapter.push_stock([seeded_update(shop, "BASKET-WIL-M", 66)], idempotency_key="push:legacy")

    # The retry's compareQuantity no longer matches (the first call was applied): the adapter
    # reads the level, finds its own quantity there and reports success, not drift.
    assert [(r.outcome, r.quantity) for r in results] == [(PushOutcome.OK, 66)]
    assert shop.available("BASKET-WIL-M") == 66
    assert writes(shop) == (1, [])
    assert operations(shop)["inventorySetQuantities"] == 2


def test_legacy_version_detects_drift_with_compare_quantity(make_adapter, shop):
    shop.set_clock(LEGACY_DAY)
    adapter = make_adapter(api_version="2025-10")
    shop.control("POST", "inventory", json={"sku": "MIRROR-RND-60", "available": 2})
    updates = [seeded_update(shop, "MIRROR-RND-60", 30, compare=22), seeded_update(shop, "CLOCK-WALL-30", 60)]

    results = adapter.push_stock(updates, idempotency_key="push:legacy-drift")

    assert [(r.outcome, r.quantity) for r in results] == [(PushOutcome.DRIFT, 2), (PushOutcome.OK, 60)]
    assert shop.available("MIRROR-RND-60") == 2
    assert shop.available("CLOCK-WALL-30") == 60
    sent = _calls(shop)
    assert len(sent) == 2
    assert writes(shop) == (1, [])


def test_before_2026_04_unknown_compares_go_in_their_own_ignore_compare_call(make_adapter, shop):
    adapter = make_adapter(api_version="2026-01")
    known = seeded_update(shop, "FRAME-A4-BLK", 100)
    blind = seeded_update(shop, "FRAME-A3-BLK", 101)
    blind = StockUpdate(blind.listing_external_id, 101, None, blind.inventory_item_id, blind.location_id)

    results = adapter.push_stock([known, blind], idempotency_key="push:mixed")

    assert [(r.outcome, r.quantity) for r in results] == [(PushOutcome.OK, 100), (PushOutcome.OK, 101)]
    assert shop.available("FRAME-A4-BLK") == 100
    assert shop.available("FRAME-A3-BLK") == 101
    assert operations(shop)["inventorySetQuantities"] == 2
    assert writes(shop) == (2, [])


def test_from_2026_04_an_unknown_compare_is_a_null_change_from_in_the_same_call(make_adapter, shop):
    adapter = make_adapter(api_version="2026-04")
    known = seeded_update(shop, "FRAME-A4-BLK", 100)
    blind = seeded_update(shop, "FRAME-A3-BLK", 101)
    blind = StockUpdate(blind.listing_external_id, 101, None, blind.inventory_item_id, blind.location_id)

    results = adapter.push_stock([known, blind], idempotency_key="push:mixed-modern")

    assert [r.outcome for r in results] == [PushOutcome.OK, PushOutcome.OK]
    assert operations(shop)["inventorySetQuantities"] == 1
    assert writes(shop) == (1, [])


def test_a_retired_version_is_answered_in_the_served_versions_shape(make_adapter, shop):
    shop.set_clock("2027-03-01T12:00:00Z")  # 2026-01 is retired: Shopify serves 2026-04
    adapter = make_adapter(api_version="2026-01")

    results = adapter.push_stock([seeded_update(shop, "BIN-LID-004", 499)], idempotency_key="push:retired")

    assert [(r.outcome, r.quantity) for r in results] == [(PushOutcome.OK, 499)]
    assert adapter.client.served_version == "2026-04"
    assert shop.available("BIN-LID-004") == 499
    # refused (invalid in 2026-04: no operation ran), then sent anew in the served shape
    assert shop.state()["calls"]["graphql_endpoint"] == 2
    assert operations(shop)["inventorySetQuantities"] == 1
    assert writes(shop) == (1, [])
