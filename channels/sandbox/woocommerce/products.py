"""Writes to products and variations, following the wc/v3 controllers' prepare_object_for_database.

Every save stamps date_modified (WooCommerce records a save even when nothing changed) and fires
product.updated. A variation save also saves its variable parent (WC_Product_Variable::sync), so
the parent fires product.updated too. stock_quantity is only taken when the product manages
stock, and a managed product's stock_status always follows its quantity and backorders setting.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .events import Events
from .models import BACKORDERS, STOCK_STATUSES, Product
from .params import Arg, as_int, validate
from .store import Store, sanitize_title
from .wp import WpError

BATCH_LIMIT = 100

_COMMON_ARGS = {
    "description": Arg("string"),
    "sku": Arg("string"),
    "global_unique_id": Arg("string"),
    "regular_price": Arg("string"),
    "sale_price": Arg("string"),
    "virtual": Arg("boolean"),
    "downloadable": Arg("boolean"),
    "tax_status": Arg("string", enum=("taxable", "shipping", "none")),
    "tax_class": Arg("string"),
    "manage_stock": Arg("boolean"),
    "stock_quantity": Arg("integer"),
    "inventory_delta": Arg("integer"),
    "stock_status": Arg("string", enum=STOCK_STATUSES),
    "backorders": Arg("string", enum=BACKORDERS),
    "low_stock_amount": Arg("integer"),
    "weight": Arg("string"),
    "dimensions": Arg("object"),
    "attributes": Arg("array", items=Arg("object")),
    "menu_order": Arg("integer"),
    "meta_data": Arg("array", items=Arg("object")),
    "date_on_sale_from": Arg("date-time"),
    "date_on_sale_to": Arg("date-time"),
}
PRODUCT_ARGS = {
    **_COMMON_ARGS,
    "name": Arg("string"),
    "slug": Arg("string"),
    "type": Arg("string", enum=("simple", "grouped", "external", "variable")),
    "status": Arg("string", enum=("draft", "pending", "private", "publish", "future")),
    "featured": Arg("boolean"),
    "catalog_visibility": Arg("string", enum=("visible", "catalog", "search", "hidden")),
    "short_description": Arg("string"),
    "sold_individually": Arg("boolean"),
    "reviews_allowed": Arg("boolean"),
    "parent_id": Arg("integer"),
    "purchase_note": Arg("string"),
    "categories": Arg("array", items=Arg("object")),
    "tags": Arg("array", items=Arg("object")),
    "images": Arg("array", items=Arg("object")),
    "default_attributes": Arg("array", items=Arg("object")),
}
VARIATION_ARGS = {
    **_COMMON_ARGS,
    "status": Arg("string", enum=("draft", "pending", "private", "publish")),
    "image": Arg("object"),
}
DELETE_ARGS = {"force": Arg("boolean", default=False)}

_PRICES = ("regular_price", "sale_price")
_DECIMAL = re.compile(r"^-?(\d+\.?\d*|\.\d+)$")
_STRINGS = (
    "name",
    "description",
    "short_description",
    "global_unique_id",
    "tax_class",
    "weight",
    "status",
    "tax_status",
    "catalog_visibility",
    "stock_status",
)
_BOOLEANS = ("featured", "virtual", "downloadable", "sold_individually")


def _apply(store: Store, product: Product, params: dict[str, Any]) -> None:
    sent = {k: v for k, v in params.items() if v is not None}
    if "sku" in sent:
        sku = str(sent["sku"]).strip()  # wc_clean
        other = store.sku_taken(sku, product.id) if sku else None
        if other is not None:
            raise WpError(
                "product_invalid_sku",
                "Invalid or duplicated SKU.",
                400,
                resource_id=other,
                unique_sku=f"{sku}-1",
            )
        old_sku, product.sku = product.sku, sku
        store.reindex_sku(product, old_sku)
    for name in _STRINGS:
        if name in sent:
            setattr(product, name, str(sent[name]))
    for name in _PRICES:
        if name in sent:
            setattr(product, name, wc_format_decimal(sent[name]))
    for name in _BOOLEANS:
        if name in sent:
            setattr(product, name, bool(sent[name]))
    if "menu_order" in sent:
        product.menu_order = int(sent["menu_order"])
    if "backorders" in sent:
        product.backorders = str(sent["backorders"])
    if "manage_stock" in sent:
        product.manage_stock = bool(sent["manage_stock"])
    if product.manage_stock:
        if "stock_quantity" in sent:
            product.stock_quantity = int(sent["stock_quantity"])
        elif "inventory_delta" in sent:
            product.stock_quantity = int(product.stock_quantity or 0) + int(sent["inventory_delta"])
        if "low_stock_amount" in sent:
            product.low_stock_amount = int(sent["low_stock_amount"])
    else:
        product.stock_quantity = None
        product.backorders = "no"
        product.low_stock_amount = None
    if "attributes" in sent:
        if product.type == "variation":
            product.attributes = _variation_attributes(store, product, sent["attributes"])
        else:
            product.attributes = _product_attributes(sent["attributes"])
    if "meta_data" in sent:
        _upsert_meta(store, product.meta_data, sent["meta_data"])


def wc_format_decimal(value: Any) -> str:
    """Prices are kept as the text sent when it is a number; anything else becomes "" (no price)."""
    text = str(value).strip()
    return text if _DECIMAL.match(text) else ""


def _product_attributes(posted: list[Any]) -> list[dict[str, Any]]:
    attributes = []
    for index, raw in enumerate(a for a in posted if isinstance(a, dict)):
        name = str(raw.get("name") or "")
        if not name and not raw.get("id"):
            continue
        options = raw.get("options")
        if isinstance(options, str):
            options = [o.strip() for o in options.split("|") if o.strip()]
        attributes.append(
            {
                "id": as_int(raw.get("id")),
                "name": name,
                "slug": sanitize_title(name),
                "position": as_int(raw.get("position", index)),
                "visible": bool(raw.get("visible", False)),
                "variation": bool(raw.get("variation", False)),
                "options": [str(o) for o in options or []],
            }
        )
    return attributes


def _variation_attributes(store: Store, variation: Product, posted: list[Any]) -> list[dict[str, Any]]:
    parent = store.parent_of(variation)
    if parent is None:
        raise WpError(
            "woocommerce_rest_product_variation_invalid_parent",
            "Cannot set attributes due to invalid parent product.",
            404,
        )
    allowed = {sanitize_title(a["name"]): a["name"] for a in parent.attributes if a.get("variation")}
    chosen = []
    for raw in (a for a in posted if isinstance(a, dict)):
        name = allowed.get(sanitize_title(str(raw.get("name") or "")))
        if name is not None:
            chosen.append({"id": 0, "name": name, "option": str(raw.get("option") or "")})
    return chosen


def _upsert_meta(store: Store, meta: list[dict[str, Any]], posted: list[Any]) -> None:
    for raw in (m for m in posted if isinstance(m, dict) and "key" in m):
        existing = next((m for m in meta if m["id"] == raw.get("id") or m["key"] == raw["key"]), None)
        if existing is not None:
            existing["value"] = raw.get("value")
        else:
            meta.append({"id": store.new_item_id(), "key": str(raw["key"]), "value": raw.get("value")})


def record_save(store: Store, product: Product, now: datetime, events: Events, topic: str) -> None:
    store.validate_stock_status(product)
    product.date_modified = now
    events.add(topic, product.id)
    parent = store.parent_of(product)
    if product.type == "variation" and parent is not None:
        store.sync_variable(parent)
        parent.date_modified = now
        events.add("product.updated", parent.id)


# -- products ------------------------------------------------------------------------------------


def create_product(store: Store, params: dict[str, Any], now: datetime, events: Events) -> Product:
    params = validate(params, PRODUCT_ARGS)
    if params.get("id"):
        raise WpError("woocommerce_rest_product_exists", "Cannot create existing product.", 400)
    product_id = store.new_post_id()
    product = Product(
        id=product_id,
        type=str(params.get("type") or "simple"),
        name="",
        slug="",
        date_created=now,
        date_modified=now,
    )
    _apply(store, product, params)
    product.slug = store.unique_slug(str(params.get("slug") or product.name or product_id))
    store.add_product(product)
    record_save(store, product, now, events, "product.created")
    return product


def update_product(
    store: Store, product: Product, params: dict[str, Any], now: datetime, events: Events
) -> None:
    params = validate(params, PRODUCT_ARGS)
    if params.get("type") and product.type != "variation":
        product.type = str(params["type"])
    _apply(store, product, params)
    if params.get("slug"):
        product.slug = store.unique_slug(str(params["slug"]), current=product.slug)
    record_save(store, product, now, events, "product.updated")


def delete_product(store: Store, product: Product, force: bool, events: Events) -> None:
    if force:
        for child_id in list(product.variation_ids):
            child = store.products.get(child_id)
            if child is not None:
                store.remove_product(child)
        _unlink_variation(store, product)
        store.remove_product(product)
        return
    if product.status == "trash":
        raise WpError("woocommerce_rest_already_trashed", "The product has already been deleted.", 410)
    product.status = "trash"
    events.add("product.deleted", product.id)


def set_stock(store: Store, product: Product, quantity: int, now: datetime, events: Events) -> None:
    """A stock edit in wp-admin or by a stock-moving order: quantity, status, save, webhooks."""
    product.stock_quantity = quantity
    record_save(store, product, now, events, "product.updated")


# -- variations ----------------------------------------------------------------------------------


def variable_parent(store: Store, product_id: int) -> Product:
    parent = store.products.get(product_id)
    if parent is None or parent.type != "variable":
        raise WpError(
            "woocommerce_rest_product_variation_invalid_parent",
            "Cannot set attributes due to invalid parent product.",
            404,
        )
    return parent


def create_variation(
    store: Store, parent: Product, params: dict[str, Any], now: datetime, events: Events
) -> Product:
    params = validate(params, VARIATION_ARGS)
    if params.get("id"):
        raise WpError(
            "woocommerce_rest_product_variation_exists", "Cannot create existing product_variation.", 400
        )
    variation = Product(
        id=store.new_post_id(),
        type="variation",
        name=parent.name,
        slug="",
        date_created=now,
        date_modified=now,
        parent_id=parent.id,
    )
    _apply(store, variation, params)
    options = [a["option"] for a in variation.attributes if a.get("option")]
    variation.name = f"{parent.name} - {', '.join(options)}" if options else parent.name
    variation.slug = store.unique_slug(variation.name)
    store.add_product(variation)
    parent.variation_ids.append(variation.id)
    record_save(store, variation, now, events, "product.created")
    return variation


def update_variation(
    store: Store, variation: Product, params: dict[str, Any], now: datetime, events: Events
) -> None:
    _apply(store, variation, validate(params, VARIATION_ARGS))
    record_save(store, variation, now, events, "product.updated")


def delete_variation(store: Store, variation: Product, force: bool, now: datetime, events: Events) -> None:
    if not force:
        raise WpError(
            "woocommerce_rest_trash_not_supported", "The product_variation does not support trashing.", 501
        )
    _unlink_variation(store, variation)
    store.remove_product(variation)
    parent = store.parent_of(variation)
    if parent is not None:
        store.sync_variable(parent)
        parent.date_modified = now
        events.add("product.updated", parent.id)


def _unlink_variation(store: Store, product: Product) -> None:
    parent = store.parent_of(product)
    if parent is not None and product.id in parent.variation_ids:
        parent.variation_ids.remove(product.id)


# -- batches -------------------------------------------------------------------------------------


def _error_entry(item_id: Any, error: WpError) -> dict[str, Any]:
    body = error.body()
    return {"id": item_id, "error": {"code": body["code"], "message": body["message"], "data": body["data"]}}


def run_batch(
    params: dict[str, Any],
    *,
    create: Callable[[dict[str, Any]], dict[str, Any]],
    update: Callable[[dict[str, Any]], dict[str, Any]],
    delete: Callable[[int], dict[str, Any]],
) -> dict[str, Any]:
    """WC_REST_Controller::batch_items: the 100-object limit, then each item on its own, failures
    reported in place. Deletes are forced, as WooCommerce forces them in a batch."""
    lists = {k: params.get(k) for k in ("create", "update", "delete")}
    total = sum(len(v) for v in lists.values() if isinstance(v, list | dict))
    if total > BATCH_LIMIT:
        raise WpError(
            "woocommerce_rest_request_entity_too_large",
            f"Unable to accept more than {BATCH_LIMIT} items for this request.",
            413,
        )
    response: dict[str, Any] = {}
    for raw in _as_list(lists["create"]):
        try:
            item = raw if isinstance(raw, dict) else {}
            response.setdefault("create", []).append(create(item))
        except WpError as error:
            response.setdefault("create", []).append(_error_entry(0, error))
    for raw in _as_list(lists["update"]):
        item = raw if isinstance(raw, dict) else {}
        try:
            response.setdefault("update", []).append(update(item))
        except WpError as error:
            response.setdefault("update", []).append(_error_entry(item.get("id"), error))
    for raw in _as_list(lists["delete"]):
        try:
            item_id = int(raw)
        except (TypeError, ValueError):
            item_id = 0
        if item_id == 0:
            continue
        try:
            response.setdefault("delete", []).append(delete(item_id))
        except WpError as error:
            response.setdefault("delete", []).append(_error_entry(item_id, error))
    return response


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return []
