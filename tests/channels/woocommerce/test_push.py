"""push_stock against the emulator: ceil(N / 100) write calls, variations per parent, per-item batch
errors, and 429 / 5xx / timeouts / lost answers survived with the final stock exact."""

from __future__ import annotations

import math

import pytest

from channels.adapters.base import AuthError, PushOutcome, StockUpdate, TransientChannelError

from .support import call_records, calls, create_products, last_seq, writes


def _stock(shop) -> dict[str, int]:
    return shop.state()["stock"]


@pytest.mark.parametrize("count", [1, 100, 101, 1000])
def test_write_calls_are_ceil_n_over_100(adapter, shop, count):
    created = create_products(shop, count, quantity=10)
    before = calls(shop).get("products.batch", 0)
    applied_before, _ = writes(shop)
    updates = [StockUpdate(str(p["id"]), 20 + n % 7, compare_quantity=10) for n, p in enumerate(created)]

    results = adapter.push_stock(updates, idempotency_key=f"push:batch:{count}")

    assert [r.outcome for r in results] == [PushOutcome.OK] * count
    assert [r.listing_external_id for r in results] == [u.listing_external_id for u in updates]
    assert [r.quantity for r in results] == [u.quantity for u in updates]
    expected_calls = math.ceil(count / 100)
    assert calls(shop)["products.batch"] - before == expected_calls
    applied, twice = writes(shop)
    assert (applied - applied_before, twice) == (count, [])
    stock = _stock(shop)
    assert [stock[p["sku"]] for p in created] == [u.quantity for u in updates]


def test_variations_go_to_their_parents_batch(adapter, shop):
    skus = shop.by_sku()
    shirts = [skus[s] for s in ("TSHIRT-S", "TSHIRT-M", "TSHIRT-L")]
    updates = [StockUpdate(f"{v['product_id']}:{v['variation_id']}", 30 + n) for n, v in enumerate(shirts)]
    updates += [StockUpdate(str(skus["SAMPLE-BIN"]["product_id"]), 1000)]

    results = adapter.push_stock(updates, idempotency_key="push:variations")

    assert [(r.outcome, r.quantity) for r in results] == [
        (PushOutcome.OK, 30),
        (PushOutcome.OK, 31),
        (PushOutcome.OK, 32),
        (PushOutcome.OK, 1000),
    ]
    state = shop.state()
    assert (state["calls"]["products.batch"], state["calls"]["variations.batch"]) == (1, 1)
    assert [state["stock"][s] for s in ("TSHIRT-S", "TSHIRT-M", "TSHIRT-L", "SAMPLE-BIN")] == [
        30,
        31,
        32,
        1000,
    ]


def test_per_item_errors_fail_only_those_items(adapter, shop):
    skus = shop.by_sku()
    bin_id = skus["BIN-LG-001"]["product_id"]
    shirt = skus["TSHIRT-M"]
    updates = [
        StockUpdate(str(bin_id), 77),
        StockUpdate("999999", 5),  # no such product
        StockUpdate(f"{bin_id}:{shirt['variation_id']}", 6),  # a variation of another parent
        StockUpdate(f"{shirt['product_id']}:{shirt['variation_id']}", 8),
        StockUpdate("not-an-id", 9),  # refused before any call
    ]

    results = adapter.push_stock(updates, idempotency_key="push:errors")

    assert [r.outcome for r in results] == [
        PushOutcome.OK,
        PushOutcome.ERROR,
        PushOutcome.ERROR,
        PushOutcome.OK,
        PushOutcome.ERROR,
    ]
    assert results[1].message == "Invalid ID. (woocommerce_rest_product_invalid_id)"
    assert results[2].message == "Invalid ID. (woocommerce_rest_product_variation_invalid_id)"
    assert "not a WooCommerce listing id" in results[4].message
    stock = _stock(shop)
    assert (stock["BIN-LG-001"], stock["TSHIRT-M"]) == (77, 8)
    # one products/batch, one batch for the wrong parent, one for the shirts' parent
    state = shop.state()
    assert (state["calls"]["products.batch"], state["calls"]["variations.batch"]) == (1, 2)
    assert writes(shop) == (2, [])


def test_an_untracked_product_becomes_tracked_with_the_pushed_quantity(adapter, shop):
    untracked = "POSTER-A2"
    made = shop.post("/products", {"name": "Poster", "sku": untracked, "regular_price": "9.00"})
    product_id = made.json()["id"]
    assert shop.by_sku()[untracked]["manage_stock"] is False

    (result,) = adapter.push_stock([StockUpdate(str(product_id), 12)], idempotency_key="push:manage")

    assert (result.outcome, result.quantity) == (PushOutcome.OK, 12)
    assert shop.by_sku()[untracked]["manage_stock"] is True
    assert _stock(shop)[untracked] == 12


@pytest.mark.parametrize("kind", ["error", "timeout"])
def test_refused_or_timed_out_batches_are_retried(make_adapter, shop, kind, sleeper):
    adapter = make_adapter(timeout=0.25)
    created = create_products(shop, 3)
    shop.knobs(timeout_seconds=0.5, seed=0)  # seed 0: the emulator's 5xx is its critical-error 500
    shop.control("POST", "/faults", {"kind": kind, "count": 2, "path": "products/batch", "method": "POST"})
    before = calls(shop)["products.batch"]

    results = adapter.push_stock(
        [StockUpdate(str(p["id"]), 44) for p in created], idempotency_key=f"p:{kind}"
    )

    assert {(r.outcome, r.quantity) for r in results} == {(PushOutcome.OK, 44)}
    assert calls(shop)["products.batch"] - before == 3  # two refused, then the one that worked
    assert [_stock(shop)[p["sku"]] for p in created] == [44, 44, 44]
    assert writes(shop)[1] == []  # nothing applied by the failed attempts
    assert len(sleeper.waits) == 2 and all(0 < w <= 0.05 for w in sleeper.waits)


def test_throttling_waits_as_long_as_retry_after_says(make_adapter, shop, sleeper):
    adapter = make_adapter(backoff_cap=30.0)
    shop.control("POST", "/faults", {"kind": "throttle", "count": 2, "path": "products/batch"})

    (result,) = adapter.push_stock([StockUpdate("10", 55)], idempotency_key="push:throttle")

    assert (result.outcome, result.quantity) == (PushOutcome.OK, 55)
    assert sleeper.waits == [2.0, 2.0]  # the emulator's Retry-After: 2
    assert calls(shop)["products.batch"] == 3
    assert _stock(shop)["SAMPLE-BIN"] == 55


def test_a_lost_answer_is_retried_and_the_absolute_write_lands_once_more_harmlessly(make_adapter, shop):
    adapter = make_adapter(timeout=0.25)
    shop.knobs(timeout_seconds=0.5)
    shop.control("POST", "/faults", {"kind": "lost", "count": 1, "path": "products/batch"})
    skus = ["BIN-LG-001", "BIN-MD-002", "BIN-SM-003"]
    ids = [shop.by_sku()[s]["product_id"] for s in skus]

    results = adapter.push_stock(
        [StockUpdate(str(i), q) for i, q in zip(ids, (11, 12, 13), strict=True)], idempotency_key="push:lost"
    )

    assert [(r.outcome, r.quantity) for r in results] == [(PushOutcome.OK, q) for q in (11, 12, 13)]
    assert [_stock(shop)[s] for s in skus] == [11, 12, 13]
    # The lost call had applied the writes; the one retry set the same numbers again, and no
    # other batch was sent.
    assert calls(shop)["products.batch"] == 2
    applied, twice = writes(shop)
    assert applied == 6
    assert twice == sorted(f"push:lost:product:update:{i}" for i in ids)


def test_random_faults_never_leave_the_stock_wrong_or_send_extra_batches(make_adapter, shop):
    adapter = make_adapter(timeout=0.25, max_attempts=12)
    created = create_products(shop, 250, quantity=5)
    start = last_seq(shop)
    shop.knobs(timeout_seconds=0.4, error_rate=0.2, lost_response_rate=0.2, throttle_rate=0.1, seed=11)

    results = adapter.push_stock(
        [StockUpdate(str(p["id"]), 9) for p in created], idempotency_key="push:chaos"
    )

    shop.knobs(error_rate=0, lost_response_rate=0, throttle_rate=0)
    assert {r.outcome for r in results} == {PushOutcome.OK}
    stock = _stock(shop)
    assert {stock[p["sku"]] for p in created} == {9}
    pushes = call_records(shop, "products.batch", since=start)
    # A lost answer's record is still open (status 0) while the emulator sits out its hang.
    faulted = sum(1 for r in pushes if r["fault"] or r["status"] != 200)
    assert faulted > 0
    assert len(pushes) == 3 + faulted  # ceil(250 / 100) batches, plus one retry per failed call


def test_exhausted_retries_raise_transient_and_keep_the_shops_retry_after(make_adapter, shop, sleeper):
    adapter = make_adapter(max_attempts=3)
    shop.knobs(seed=1)  # seed 1: the first 5xx is WordPress's maintenance page (503, Retry-After 600)
    shop.control("POST", "/faults", {"kind": "error", "count": 3, "path": "products/batch"})

    with pytest.raises(TransientChannelError) as caught:
        adapter.push_stock([StockUpdate("10", 1)], idempotency_key="push:down")

    assert calls(shop)["products.batch"] == 3
    assert _stock(shop)["SAMPLE-BIN"] == 3900  # nothing written
    assert sleeper.waits[0] == 0.05  # 600 s asked, capped at backoff_cap inside the call
    assert '"code":"internal_server_error"' in (caught.value.raw or "")
    assert caught.value.status == 500


def test_a_maintenance_answer_hands_its_retry_after_to_the_job(make_adapter, shop):
    adapter = make_adapter(max_attempts=1)
    shop.knobs(seed=1)
    shop.control("POST", "/faults", {"kind": "error", "count": 1, "path": "products/batch"})

    with pytest.raises(TransientChannelError) as caught:
        adapter.push_stock([StockUpdate("10", 1)], idempotency_key="push:maintenance")

    assert (caught.value.status, caught.value.retry_after) == (503, 600.0)


def test_a_wrong_secret_is_an_auth_error_and_writes_nothing(make_adapter, shop):
    adapter = make_adapter(secret="cs_wrong")

    with pytest.raises(AuthError) as caught:
        adapter.push_stock([StockUpdate("10", 1)], idempotency_key="push:auth")

    assert caught.value.code == "woocommerce_rest_authentication_error"
    assert "Consumer secret is invalid." in str(caught.value)
    assert _stock(shop)["SAMPLE-BIN"] == 3900
