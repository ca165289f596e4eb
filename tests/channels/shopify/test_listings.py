"""Listings, quantities and the connection check, read over GraphQL from the emulator."""

from __future__ import annotations

from decimal import Decimal

import pytest

from channels.adapters.base import AuthError, ChannelAdapter, PermanentChannelError, platform

from .support import add_variants, operations


def test_the_registry_builds_a_channel_adapter(shop):
    from channels.adapters.base import AdapterConfig

    config = AdapterConfig(
        kind="shopify", base_url=shop.url, credentials={"access_token": "shpat_sandbox_token"}
    )
    adapter = platform("shopify").factory(config, None)

    assert isinstance(adapter, ChannelAdapter)
    assert adapter.push_batch_limit == 250
    assert adapter.api_version == "2026-10"  # settings.SHOPIFY_API_VERSION
    assert adapter.check_connection() == "Shopify shop Sandbox Home Goods"


def test_fetch_listings_maps_variants_at_the_primary_location(adapter, shop):
    page = adapter.fetch_listings()

    assert page.next_cursor is None
    by_sku = {listing.sku: listing for listing in page.items}
    assert len(by_sku) == 44
    bin_ = by_sku["SAMPLE-BIN"]
    variant = shop.variant("SAMPLE-BIN")
    assert bin_.external_id == str(variant["variant_id"])  # numeric, as REST order lines carry it
    assert bin_.external_product_id == str(variant["product_id"])
    assert bin_.inventory_item_id == f"gid://shopify/InventoryItem/{variant['inventory_item_id']}"
    assert bin_.location_id == shop.location_gid()
    assert (bin_.tracked, bin_.quantity) == (True, 3900)
    assert bin_.barcode == "4000000000013"
    assert bin_.title == "Sample storage bin"
    assert bin_.price == Decimal("12.00")
    assert bin_.updated_at is not None and bin_.updated_at.tzinfo is not None
    gift = by_sku["GIFT-WRAP"]
    assert (gift.tracked, gift.quantity) == (False, None)
    assert operations(shop) == {"locations": 1, "productVariants": 1}


def test_fetch_listings_pages_with_cursors(make_adapter, shop):
    adapter = make_adapter(listings_page_size=20)
    seen, cursor, pages = [], None, 0
    for _ in range(10):
        page = adapter.fetch_listings(cursor=cursor)
        pages += 1
        seen += [listing.external_id for listing in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break

    assert pages == 3
    assert len(seen) == len(set(seen)) == 44
    assert operations(shop)["locations"] == 1  # looked up once per adapter


def test_a_configured_location_is_used_as_given_or_as_a_number(make_adapter, shop):
    overflow = shop.platform.store.primary_location_id + 1
    adapter = make_adapter(location_id=str(overflow))

    page = adapter.fetch_listings()

    assert {listing.location_id for listing in page.items} == {f"gid://shopify/Location/{overflow}"}
    # Nothing is stocked at the overflow location yet.
    assert {listing.quantity for listing in page.items if listing.tracked} == {None}
    assert "locations" not in operations(shop)


def test_read_quantities_asks_once_per_250_ids(adapter, shop):
    created = add_variants(shop, 260, available=6)
    ids = [str(c["variant_id"]) for c in created]
    gift = str(shop.variant("GIFT-WRAP")["variant_id"])
    sold = str(shop.variant("CANDLE-SOY-01")["variant_id"])
    shop.order(("CANDLE-SOY-01", 3))

    found = adapter.read_quantities([*ids, gift, sold, "1"])

    assert found == {**dict.fromkeys(ids, 6), sold: 32}  # untracked and unknown ids are left out
    assert operations(shop)["nodes"] == 2


def test_a_refused_token_is_an_auth_error(make_adapter):
    adapter = make_adapter(token="shpat_revoked")

    with pytest.raises(AuthError) as caught:
        adapter.check_connection()

    assert caught.value.status == 401
    assert "Invalid API key" in (caught.value.raw or "")


def test_ids_that_cannot_be_variants_are_not_sent(adapter, shop):
    assert adapter.read_quantities(["not-a-number", "gid://shopify/Product/1"]) == {}
    assert "nodes" not in operations(shop)


def test_a_query_shopify_rejects_is_permanent_with_the_raw_answer(adapter, shop):
    with pytest.raises(PermanentChannelError) as caught:
        adapter.client.graphql(
            'query Bad { productVariant(id: "gid://shopify/ProductVariant/x") { id } }',
            operation="Bad",
            cost=1,
        )

    assert "Invalid global id" in str(caught.value)
    assert caught.value.raw and "errors" in caught.value.raw
