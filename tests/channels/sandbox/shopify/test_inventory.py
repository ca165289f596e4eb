"""inventorySetQuantities / inventoryAdjustQuantities in both API generations: compare-and-swap,
idempotency keys, the 250 limit and user errors."""

from __future__ import annotations

from .support import LEGACY_VERSION, SET_QUANTITIES, VERSION

LEGACY_SET = """
mutation Set($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { reason changes { name delta } }
    userErrors { field message code }
  }
}
"""
ADJUST = """
mutation Adjust($input: InventoryAdjustQuantitiesInput!, $key: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { changes { name delta } }
    userErrors { field message code }
  }
}
"""


def _input(shop, sku: str, quantity: int, **compare) -> dict:
    row = {
        "inventoryItemId": shop.item_gid(sku),
        "locationId": shop.location_gid(),
        "quantity": quantity,
        **compare,
    }
    return {
        "name": "available",
        "reason": "correction",
        "referenceDocumentUri": "gid://inventory-sync/Sync/1",
        "quantities": [row],
    }


def test_set_with_change_from_quantity_on_2026_04_and_later(shop):
    result = shop.data(
        SET_QUANTITIES, {"input": _input(shop, "BIN-MD-002", 300, changeFromQuantity=310), "key": "a"}
    )
    payload = result["inventorySetQuantities"]
    assert payload["userErrors"] == []
    changes = payload["inventoryAdjustmentGroup"]["changes"]
    assert [(c["name"], c["delta"]) for c in changes] == [("available", -10), ("on_hand", -10)]
    assert shop.available("BIN-MD-002") == 300

    unchecked = shop.data(
        SET_QUANTITIES, {"input": _input(shop, "BIN-MD-002", 250, changeFromQuantity=None), "key": "b"}
    )
    assert unchecked["inventorySetQuantities"]["userErrors"] == []
    assert shop.available("BIN-MD-002") == 250


def test_set_with_compare_quantity_before_2026_04(shop):
    ok = shop.data(
        LEGACY_SET, {"input": _input(shop, "BIN-SM-003", 400, compareQuantity=420)}, version=LEGACY_VERSION
    )
    assert ok["inventorySetQuantities"]["userErrors"] == []
    assert shop.available("BIN-SM-003") == 400

    missing = shop.data(LEGACY_SET, {"input": _input(shop, "BIN-SM-003", 390)}, version=LEGACY_VERSION)
    assert missing["inventorySetQuantities"]["userErrors"][0]["code"] == "COMPARE_QUANTITY_REQUIRED"

    ignored = {**_input(shop, "BIN-SM-003", 380), "ignoreCompareQuantity": True}
    shop.data(LEGACY_SET, {"input": ignored}, version=LEGACY_VERSION)
    assert shop.available("BIN-SM-003") == 380

    # The old input shape is gone from 2026-04 on.
    rejected = shop.gql(LEGACY_SET, {"input": ignored}, version=VERSION).json()
    assert rejected["errors"][0]["extensions"]["code"] == "INVALID_VARIABLE"
    assert (
        "ignoreCompareQuantity (Field is not defined on InventorySetQuantitiesInput)"
        in rejected["errors"][0]["message"]
    )


def test_stale_compare_is_rejected_and_nothing_is_applied(shop):
    good = {
        "inventoryItemId": shop.item_gid("JAR-GLASS-2L"),
        "locationId": shop.location_gid(),
        "quantity": 1,
        "changeFromQuantity": 190,
    }
    stale = {
        "inventoryItemId": shop.item_gid("JAR-GLASS-1L"),
        "locationId": shop.location_gid(),
        "quantity": 1,
        "changeFromQuantity": 999,
    }
    body = {"name": "available", "reason": "correction", "quantities": [good, stale]}
    payload = shop.data(SET_QUANTITIES, {"input": body, "key": "stale"})["inventorySetQuantities"]
    assert payload["inventoryAdjustmentGroup"] is None
    assert payload["userErrors"] == [
        {
            "field": ["input", "quantities", "1", "changeFromQuantity"],
            "message": "The changeFromQuantity argument no longer matches the persisted quantity.",
            "code": "CHANGE_FROM_QUANTITY_STALE",
        }
    ]
    assert shop.available("JAR-GLASS-2L") == 190
    assert shop.state()["writes_applied"] == 0

    legacy = shop.data(
        LEGACY_SET, {"input": _input(shop, "JAR-GLASS-2L", 1, compareQuantity=5)}, version=LEGACY_VERSION
    )
    assert legacy["inventorySetQuantities"]["userErrors"][0]["code"] == "COMPARE_QUANTITY_STALE"
    assert shop.available("JAR-GLASS-2L") == 190


def test_more_than_250_quantities_is_refused_before_anything_runs(shop):
    row = {
        "inventoryItemId": shop.item_gid("SAMPLE-BIN"),
        "locationId": shop.location_gid(),
        "quantity": 1,
        "changeFromQuantity": None,
    }
    body = {"name": "available", "reason": "correction", "quantities": [row] * 251}
    response = shop.gql(SET_QUANTITIES, {"input": body, "key": "big"}).json()
    assert (
        response["errors"][0]["message"]
        == "The input array size of 251 is greater than the maximum allowed of 250."
    )
    assert response["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"
    assert response["errors"][0]["path"] == ["inventorySetQuantities", "input", "quantities"]
    assert shop.available("SAMPLE-BIN") == 3900


def test_a_repeated_idempotency_key_replays_the_first_answer_and_applies_nothing(shop):
    variables = {"input": _input(shop, "HOOK-BRASS-04", 90, changeFromQuantity=95), "key": "sync-42"}
    first = shop.data(SET_QUANTITIES, variables)["inventorySetQuantities"]
    second = shop.data(SET_QUANTITIES, variables)["inventorySetQuantities"]
    assert second == first
    assert second["userErrors"] == []
    assert shop.available("HOOK-BRASS-04") == 90
    state = shop.state()
    assert state["writes_applied"] == 1
    assert state["writes_applied_twice"] == []

    reused = shop.data(
        SET_QUANTITIES, {**variables, "input": _input(shop, "HOOK-BRASS-04", 10, changeFromQuantity=90)}
    )
    assert reused["inventorySetQuantities"]["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
    assert shop.available("HOOK-BRASS-04") == 90


def test_2026_04_requires_the_directive_and_change_from_quantity(shop):
    no_directive = SET_QUANTITIES.replace("@idempotent(key: $key)", "").replace(", $key: String!", "")
    body = shop.gql(no_directive, {"input": _input(shop, "SAMPLE-BIN", 1, changeFromQuantity=None)}).json()
    assert (
        body["errors"][0]["message"]
        == "The @idempotent directive is required for this mutation but was not provided."
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert body["data"] == {"inventorySetQuantities": None}

    no_compare = shop.gql(SET_QUANTITIES, {"input": _input(shop, "SAMPLE-BIN", 1), "key": "x"}).json()
    assert no_compare["errors"][0]["message"] == (
        "InventoryQuantityInput must include the following argument: changeFromQuantity."
    )
    assert no_compare["errors"][0]["extensions"]["code"] == "INVALID_FIELD_ARGUMENTS"
    assert shop.available("SAMPLE-BIN") == 3900


def test_unknown_items_locations_and_bad_names_are_user_errors(shop):
    body = {
        "name": "available",
        "reason": "correction",
        "quantities": [
            {
                "inventoryItemId": "gid://shopify/InventoryItem/42",
                "locationId": "gid://shopify/Location/9",
                "quantity": 1,
                "changeFromQuantity": None,
            },
            {
                "inventoryItemId": shop.item_gid("SAMPLE-BIN"),
                "locationId": f"gid://shopify/Location/{shop.platform.store.primary_location_id + 1}",
                "quantity": 1,
                "changeFromQuantity": None,
            },
        ],
    }
    errors = shop.data(SET_QUANTITIES, {"input": body, "key": "u"})["inventorySetQuantities"]["userErrors"]
    assert [e["code"] for e in errors] == [
        "INVALID_INVENTORY_ITEM",
        "INVALID_LOCATION",
        "ITEM_NOT_STOCKED_AT_LOCATION",
    ]

    wrong_name = {**_input(shop, "SAMPLE-BIN", 1, changeFromQuantity=None), "name": "damaged"}
    errors = shop.data(SET_QUANTITIES, {"input": wrong_name, "key": "n"})["inventorySetQuantities"][
        "userErrors"
    ]
    assert errors == [
        {
            "field": ["input", "name"],
            "message": "The quantity name must be either 'available' or 'on_hand'.",
            "code": "INVALID_NAME",
        }
    ]
    wrong_reason = {**_input(shop, "SAMPLE-BIN", 1, changeFromQuantity=None), "reason": "because"}
    errors = shop.data(SET_QUANTITIES, {"input": wrong_reason, "key": "r"})["inventorySetQuantities"][
        "userErrors"
    ]
    assert errors[0]["code"] == "INVALID_REASON"


def test_adjust_quantities_moves_by_delta_with_compare(shop):
    change = {
        "inventoryItemId": shop.item_gid("THROW-WOOL"),
        "locationId": shop.location_gid(),
        "delta": -4,
        "changeFromQuantity": 34,
    }
    body = {"name": "available", "reason": "correction", "changes": [change]}
    payload = shop.data(ADJUST, {"input": body, "key": "adj-1"})["inventoryAdjustQuantities"]
    assert payload["userErrors"] == []
    assert payload["inventoryAdjustmentGroup"]["changes"] == [
        {"name": "available", "delta": -4},
        {"name": "on_hand", "delta": -4},
    ]
    assert shop.available("THROW-WOOL") == 30
    stale = shop.data(ADJUST, {"input": body, "key": "adj-2"})["inventoryAdjustQuantities"]
    assert stale["userErrors"][0]["code"] == "CHANGE_FROM_QUANTITY_STALE"
    assert shop.available("THROW-WOOL") == 30
    state = shop.state()
    assert state["operations"]["inventoryAdjustQuantities"] == 2
    assert state["writes_applied"] == 1
