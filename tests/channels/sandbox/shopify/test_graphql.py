"""The GraphQL Admin API: auth, versions, the catalogue, paging, search, cost and throttling,
and Shopify-shaped errors for bad input."""

from __future__ import annotations

from .support import LEGACY_VERSION, VERSION

VARIANT_PAGE = """
query Page($after: String) {
  productVariants(first: 10, after: $after) {
    edges { cursor node { id sku } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


def test_wrong_or_missing_token_is_shopifys_401(shop):
    for token in ("shpat_wrong", ""):
        response = shop.gql("{ shop { name } }", token=token)
        assert response.status_code == 401
        assert response.json() == {
            "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
        }


def test_shop_and_locations(shop):
    data = shop.data(
        "{ shop { name myshopifyDomain currencyCode ianaTimezone } locations(first: 5) { nodes { name isActive } } }"
    )
    assert data["shop"] == {
        "name": "Sandbox Home Goods",
        "myshopifyDomain": "sandbox-shop.myshopify.com",
        "currencyCode": "USD",
        "ianaTimezone": "UTC",
    }
    assert [loc["name"] for loc in data["locations"]["nodes"]] == ["Main warehouse", "Overflow storage"]


def test_retired_version_falls_forward_and_garbage_version_is_404(shop):
    response = shop.gql("{ shop { name } }", version="2023-01")
    assert response.status_code == 200
    assert response.headers["X-Shopify-API-Version"] == LEGACY_VERSION
    assert shop.gql("{ shop { name } }", version=VERSION).headers["X-Shopify-API-Version"] == VERSION
    assert shop.gql("{ shop { name } }", version="latest").status_code == 404


def test_variants_page_through_every_sku_without_repeats(shop):
    seen, after, pages = [], None, 0
    while True:
        page = shop.data(VARIANT_PAGE, {"after": after})["productVariants"]
        seen.extend(edge["node"]["sku"] for edge in page["edges"])
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == 5
    assert len(seen) == len(set(seen)) == len(shop.control("GET", "variants").json())
    assert "org-tray-s" in seen and "CANDLE-SOY-01" in seen


def test_variant_search_by_sku_and_updated_at(shop):
    found = shop.data(
        '{ productVariants(first: 5, query: "sku:MUG-CERAMIC-WHT") { nodes { sku inventoryQuantity } } }'
    )
    assert found["productVariants"]["nodes"] == [{"sku": "MUG-CERAMIC-WHT", "inventoryQuantity": 265}]

    shop.advance(60)
    marker = shop.state()["now"]
    shop.advance(60)
    shop.control("POST", "inventory", json={"sku": "BIN-LG-001", "available": 7})
    changed = shop.data(
        "query($q: String) { productVariants(first: 50, query: $q) { nodes { sku inventoryQuantity } } }",
        {"q": f"updated_at:>'{marker}'"},
    )
    assert changed["productVariants"]["nodes"] == [{"sku": "BIN-LG-001", "inventoryQuantity": 7}]


def test_nodes_and_single_lookups(shop):
    variant = shop.variant("SAMPLE-BIN")
    variant_gid = f"gid://shopify/ProductVariant/{variant['variant_id']}"
    data = shop.data(
        """query($ids: [ID!]!, $id: ID!, $location: ID!) {
          nodes(ids: $ids) { id ... on ProductVariant { sku } ... on InventoryItem { tracked } }
          productVariant(id: $id) { displayName product { title } inventoryItem { inventoryLevel(locationId: $location) {
            quantities(names: ["available", "on_hand", "committed"]) { name quantity } } } }
        }""",
        {
            "ids": [variant_gid, shop.item_gid("SAMPLE-BIN"), "gid://shopify/ProductVariant/1"],
            "id": variant_gid,
            "location": shop.location_gid(),
        },
    )
    assert data["nodes"][0]["sku"] == "SAMPLE-BIN"
    assert data["nodes"][1]["tracked"] is True
    assert data["nodes"][2] is None
    levels = data["productVariant"]["inventoryItem"]["inventoryLevel"]["quantities"]
    assert levels == [
        {"name": "available", "quantity": 3900},
        {"name": "on_hand", "quantity": 3900},
        {"name": "committed", "quantity": 0},
    ]


def test_cost_is_reported_and_throttling_recovers_with_the_clock(shop):
    shop.control("POST", "plan", json={"maximum": 100, "restore_rate": 10})
    query = "{ productVariants(first: 40) { nodes { id } } }"
    first = shop.gql(query).json()
    assert first["extensions"]["cost"]["requestedQueryCost"] == 42
    assert first["extensions"]["cost"]["actualQueryCost"] == 42
    assert first["extensions"]["cost"]["throttleStatus"]["maximumAvailable"] == 100
    shop.gql(query)
    throttled = shop.gql(query)
    assert throttled.status_code == 200
    body = throttled.json()
    assert body["errors"][0]["message"] == "Throttled"
    assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
    cost = body["extensions"]["cost"]
    assert cost["actualQueryCost"] is None
    assert 16 <= cost["throttleStatus"]["currentlyAvailable"] < 42
    assert cost["throttleStatus"]["restoreRate"] == 10
    assert "data" not in body

    shop.advance(3)
    recovered = shop.gql(query).json()
    assert "errors" not in recovered
    assert len(recovered["data"]["productVariants"]["nodes"]) == 40


def test_a_query_costing_over_1000_is_refused(shop):
    query = """{ productVariants(first: 250) { nodes { inventoryItem {
      inventoryLevels(first: 10) { nodes { location { id } } } } } } }"""
    body = shop.gql(query).json()
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert body["errors"][0]["message"].startswith(
        "Query cost is 6002, which exceeds the single query max cost limit"
    )
    assert "data" not in body


def test_connections_need_first_or_last_and_cap_at_250(shop):
    missing = shop.gql("{ products { nodes { id } } }").json()
    assert missing["errors"][0]["message"] == "you must provide one of first or last"
    assert missing["data"] is None
    too_many = shop.gql("{ products(first: 251) { nodes { id } } }").json()
    assert "invalid value (251)" in too_many["errors"][0]["message"]
    bad_cursor = shop.gql('{ products(first: 2, after: "nope") { nodes { id } } }').json()
    assert bad_cursor["errors"][0]["message"] == "Invalid cursor for current pagination sort."


def test_syntax_validation_and_variable_errors_are_200_with_shopify_codes(shop):
    syntax = shop.gql("query { shop { id ")
    assert syntax.status_code == 200
    assert syntax.json()["errors"][0]["extensions"]["code"] == "PARSE_ERROR"
    assert syntax.json()["errors"][0]["message"].startswith("syntax error, unexpected end of file at [1, ")

    unknown = shop.gql("{ shop { nope } }").json()["errors"][0]
    assert unknown["message"] == "Field 'nope' doesn't exist on type 'Shop'"
    assert unknown["extensions"] == {"code": "undefinedField", "typeName": "Shop", "fieldName": "nope"}

    bare = shop.gql("{ shop }").json()["errors"][0]
    assert bare["extensions"]["code"] == "selectionMismatch"

    bad_variable = shop.gql("query($q: Int!) { products(first: $q) { nodes { id } } }", {"q": "many"}).json()[
        "errors"
    ][0]
    assert bad_variable["extensions"]["code"] == "INVALID_VARIABLE"
    assert bad_variable["message"].startswith("Variable $q of type Int! was provided invalid value")

    bad_id = shop.gql('{ productVariant(id: "42") { id } }').json()
    assert bad_id["errors"][0]["message"] == "Invalid global id '42'"


def test_malformed_bodies_are_400(shop):
    url = f"{shop.url}/admin/api/{VERSION}/graphql.json"
    headers = {"X-Shopify-Access-Token": "shpat_sandbox_token", "Content-Type": "application/json"}
    assert shop.http.post(url, data="{not json", headers=headers, timeout=5).status_code == 400
    missing = shop.http.post(url, json={"variables": {}}, headers=headers, timeout=5)
    assert missing.status_code == 400
    assert missing.json() == {"errors": {"query": "Required parameter missing or invalid"}}
    raw = shop.http.post(
        url, data="{ shop { name } }", headers={**headers, "Content-Type": "application/graphql"}, timeout=5
    )
    assert raw.json()["data"]["shop"]["name"] == "Sandbox Home Goods"
