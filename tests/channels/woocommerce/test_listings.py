"""fetch_listings and read_quantities against the emulator: simple products and variations (never
their variable parent), paging by cursor, and the shop's stock as reconcile reads it."""

from __future__ import annotations

import pytest

from channels.adapters.base import PermanentChannelError

from .support import calls, create_products


def _all_listings(adapter, limit: int = 50):
    listings, cursor, pages = [], None, 0
    for _ in range(limit):
        page = adapter.fetch_listings(cursor=cursor)
        listings += page.items
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    return listings, pages


def test_listings_are_simple_products_and_variations(adapter, shop):
    listings, pages = _all_listings(adapter)

    by_sku = {listing.sku: listing for listing in listings}
    catalogue = shop.by_sku()
    assert set(by_sku) == set(catalogue)  # every SKU the shop sells, nothing else
    assert pages == 1
    shirt = catalogue["TSHIRT-M"]
    variation = by_sku["TSHIRT-M"]
    assert variation.external_id == f"{shirt['product_id']}:{shirt['variation_id']}"
    assert variation.external_product_id == str(shirt["product_id"])
    assert (variation.title, variation.tracked, variation.quantity) == ("Logo T-shirt - M", True, 120)
    assert str(shirt["product_id"]) not in {listing.external_id for listing in listings}  # the parent
    simple = by_sku["SAMPLE-BIN"]
    assert (simple.external_id, simple.external_product_id) == ("10", "10")
    assert (simple.title, simple.quantity, str(simple.price)) == ("Sample storage bin", 3900, "12.00")
    assert simple.barcode == "4000000000013"  # WooCommerce's GTIN field, global_unique_id
    assert simple.updated_at is not None and simple.updated_at.utcoffset().total_seconds() == 0
    assert " BIN-LID-004" in by_sku  # the shop's spelling is kept; the hub normalises codes


def test_untracked_products_have_no_quantity_and_containers_are_skipped(adapter, shop):
    poster = shop.post("/products", {"name": "Poster", "sku": "POSTER-A2", "regular_price": "9.00"}).json()
    shop.post("/products", {"name": "Gift set", "type": "grouped", "sku": "GIFT-SET"})
    shop.post("/products", {"name": "Elsewhere", "type": "external", "sku": "EXT-1"})

    listings, _ = _all_listings(adapter)

    by_sku = {listing.sku: listing for listing in listings}
    assert (by_sku["POSTER-A2"].external_id, by_sku["POSTER-A2"].tracked, by_sku["POSTER-A2"].quantity) == (
        str(poster["id"]),
        False,
        None,
    )
    assert "GIFT-SET" not in by_sku and "EXT-1" not in by_sku


def test_listings_page_by_cursor(make_adapter, shop):
    adapter = make_adapter(page_size=10)
    everything, _ = _all_listings(make_adapter())
    list_calls = calls(shop)["products.list"]

    paged, pages = _all_listings(adapter)

    assert calls(shop)["products.list"] - list_calls == pages
    assert [listing.external_id for listing in paged] == [listing.external_id for listing in everything]
    products = len(shop.get("/products", params={"per_page": 100}).json())
    assert pages == -(-products // 10)


def test_a_bad_cursor_is_refused(adapter):
    with pytest.raises(PermanentChannelError, match="cursor"):
        adapter.fetch_listings(cursor="next-please")


def test_read_quantities_reads_what_the_shop_holds_now(adapter, shop):
    catalogue = shop.by_sku()
    shirt_s, shirt_l = catalogue["TSHIRT-S"], catalogue["TSHIRT-L"]
    shop.control("POST", "/stock", {"sku": "BIN-LG-001", "stock_quantity": 7})  # a manual edit
    shop.control("POST", "/stock", {"sku": "TSHIRT-L", "stock_quantity": 3})
    poster = shop.post("/products", {"name": "Poster", "sku": "POSTER-A2"}).json()
    gone = shop.post(
        "/products", {"name": "Gone", "sku": "GONE-1", "manage_stock": True, "stock_quantity": 4}
    ).json()
    shop.delete(f"/products/{gone['id']}")  # to the trash
    wanted = [
        str(catalogue["BIN-LG-001"]["product_id"]),
        str(catalogue["SAMPLE-BIN"]["product_id"]),
        f"{shirt_s['product_id']}:{shirt_s['variation_id']}",
        f"{shirt_l['product_id']}:{shirt_l['variation_id']}",
        str(poster["id"]),  # not stock-managed
        str(gone["id"]),  # trashed
        "999999",
        "999999:1",
        "junk",
    ]

    quantities = adapter.read_quantities(wanted)

    assert quantities == {wanted[0]: 7, wanted[1]: 3900, wanted[2]: 80, wanted[3]: 3}
    state = shop.state()["calls"]
    # one read for the simple products, one per parent of variations asked for
    assert (state["products.list"], state["variations.list"]) == (1, 2)


def test_read_quantities_reads_many_listings_in_chunks_of_100(adapter, shop):
    created = create_products(shop, 250, quantity=6)

    quantities = adapter.read_quantities([str(p["id"]) for p in created])

    assert set(quantities.values()) == {6} and len(quantities) == 250
    assert calls(shop)["products.list"] == 3
