"""Every fault knob, scripted faults aimed at one GraphQL operation, the inspection endpoint, the
plan control and snapshots."""

from __future__ import annotations

import time

from channels.sandbox.shopify import ShopifySandbox

from .support import SET_QUANTITIES


def _set_input(shop, sku: str, quantity: int) -> dict:
    return {
        "name": "available",
        "reason": "correction",
        "quantities": [
            {
                "inventoryItemId": shop.item_gid(sku),
                "locationId": shop.location_gid(),
                "quantity": quantity,
                "changeFromQuantity": None,
            }
        ],
    }


def test_latency_knob_slows_answers(shop):
    shop.knobs(latency_ms=150)
    started = time.monotonic()
    assert shop.rest("GET", "shop.json").status_code == 200
    assert time.monotonic() - started >= 0.15


def test_error_knob_answers_5xx_and_applies_nothing(shop):
    shop.knobs(error_rate=1.0)
    response = shop.order(("SAMPLE-BIN", 1))  # control routes are never faulted
    assert response.status_code == 201
    failed = shop.rest(
        "POST",
        "orders.json",
        json={
            "order": {"line_items": [{"variant_id": shop.variant("SAMPLE-BIN")["variant_id"], "quantity": 1}]}
        },
    )
    assert failed.status_code == 500
    assert failed.json() == {"errors": "Internal Server Error"}
    assert shop.gql("{ shop { name } }").status_code == 500
    shop.knobs(error_rate=0.0)
    assert shop.rest("GET", "orders/count.json").json() == {"count": 1}


def test_timeout_knob_hangs_then_504_without_applying(shop):
    shop.knobs(timeout_rate=1.0, timeout_seconds=0.2)
    started = time.monotonic()
    response = shop.gql(SET_QUANTITIES, {"input": _set_input(shop, "BIN-LG-001", 1), "key": "t"})
    assert response.status_code == 504
    assert time.monotonic() - started >= 0.2
    assert shop.available("BIN-LG-001") == 240


def test_lost_response_applies_once_and_a_keyed_retry_does_not_apply_again(shop):
    shop.knobs(lost_response_rate=1.0, timeout_seconds=0.2)
    variables = {"input": _set_input(shop, "BIN-LG-001", 100), "key": "lost-1"}
    assert shop.gql(SET_QUANTITIES, variables).status_code == 504
    assert shop.available("BIN-LG-001") == 100
    shop.knobs(lost_response_rate=0.0)
    retried = shop.data(SET_QUANTITIES, variables)["inventorySetQuantities"]
    assert retried["userErrors"] == []
    assert retried["inventoryAdjustmentGroup"]["changes"][0]["delta"] == -140
    state = shop.state()
    assert state["writes_applied"] == 1
    assert state["writes_applied_twice"] == []
    assert state["stock"]["BIN-LG-001"] == 100


def test_throttle_knob_uses_each_apis_own_answer(shop):
    shop.knobs(throttle_rate=1.0)
    rest = shop.rest("GET", "orders.json")
    assert rest.status_code == 429
    assert rest.headers["Retry-After"] == "2.0"
    assert rest.json()["errors"].startswith("Exceeded 2 calls per second for api client.")
    graphql = shop.gql("{ shop { name } }")
    assert graphql.status_code == 200
    assert graphql.json()["errors"][0]["extensions"]["code"] == "THROTTLED"


def test_scripted_fault_hits_only_the_named_operation(shop):
    shop.fault(kind="error", operation="inventorySetQuantities", count=1)
    assert shop.gql("{ shop { name } }").status_code == 200
    variables = {"input": _set_input(shop, "BIN-LG-001", 5), "key": "scripted"}
    assert shop.gql(SET_QUANTITIES, variables).status_code == 500
    assert shop.available("BIN-LG-001") == 240
    assert shop.gql(SET_QUANTITIES, variables).status_code == 200
    assert shop.available("BIN-LG-001") == 5

    shop.fault(kind="throttle", path="orders", count=1)
    assert shop.rest("GET", "orders.json").status_code == 429
    assert shop.rest("GET", "orders.json").status_code == 200


def test_state_reports_stock_calls_and_operations(shop):
    shop.order(("HANGER-WD-10", 3))
    shop.data("{ shop { name } products(first: 1) { nodes { id } } }")
    shop.gql(SET_QUANTITIES, {"input": _set_input(shop, "HANGER-VEL-20", 150), "key": "s"})
    shop.rest("GET", "orders.json")
    state = shop.state()
    assert state["stock"]["HANGER-WD-10"] == 127
    assert state["stock"]["HANGER-VEL-20"] == 150
    assert "GIFT-WRAP" not in state["stock"]  # not tracked
    assert state["calls"] == {"graphql_endpoint": 2, "orders_collection": 1}
    assert state["operations"] == {"shop": 1, "products": 1, "inventorySetQuantities": 1}
    assert state["writes_applied"] == 1


def test_plan_control_changes_the_bucket(shop):
    status = shop.control("POST", "plan", json={"restore_rate": 1000, "maximum": 10000}).json()
    assert status == {
        "maximumAvailable": 10000,
        "currentlyAvailable": 2000,
        "restoreRate": 1000,
        "restCapacity": 40,
        "restLeakRate": 2.0,
    }
    cost = shop.gql("{ shop { name } }").json()["extensions"]["cost"]["throttleStatus"]
    assert cost["maximumAvailable"] == 10000 and cost["restoreRate"] == 1000
    assert shop.control("POST", "plan", json={"restore_rate": "fast"}).status_code == 400


def test_the_rest_bucket_can_be_widened_or_turned_off(shop):
    shop.control("POST", "plan", json={"rest_capacity": 3, "rest_leak_rate": 0.001})
    statuses = [shop.rest("GET", "orders/count.json").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    shop.control("POST", "plan", json={"rest_leak_rate": 0})
    assert all(shop.rest("GET", "orders/count.json").status_code == 200 for _ in range(60))


def test_control_routes_reject_bad_input(shop):
    assert shop.control("POST", "inventory", json={"sku": "SAMPLE-BIN"}).status_code == 400
    assert shop.control("POST", "inventory", json={"sku": "NOPE", "available": 1}).status_code == 404
    assert shop.control("POST", "orders", json={"lines": [{"sku": "NOPE", "quantity": 1}]}).status_code == 422
    assert (
        shop.control("POST", "orders", data="[1", headers={"Content-Type": "application/json"}).status_code
        == 400
    )
    assert shop.http.get(f"{shop.url}/admin/api/2026-10/nothing-here.json", timeout=5).status_code == 404


def test_snapshot_round_trip_keeps_stock_orders_and_subscriptions(shop):
    order = shop.order(("TOWEL-BATH-GRY", 2)).json()["order"]
    shop.rest(
        "POST",
        "webhooks.json",
        json={"webhook": {"topic": "orders/create", "address": "http://127.0.0.1:9/x"}},
    )
    state = shop.platform.snapshot_state()
    clone = ShopifySandbox()
    try:
        clone.restore_state(state)
        assert clone.stock_by_sku() == shop.platform.stock_by_sku()
        assert set(clone.store.orders) == {order["id"]}
        assert len(clone.store.subscriptions) == 1
        assert clone.snapshot_state() == state
    finally:
        clone.close()
