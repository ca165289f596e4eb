"""Root query and mutation resolvers, bound onto the built schema once per schema shape."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo, GraphQLSchema
from graphql.execution.values import get_directive_values

from . import connections, ids, inventory, search, webhooks
from .render import level_json
from .store import IdempotencyRecord, InventoryItem, Location, Product, ShopifyStore, Variant
from .topics import rest_of
from .views import (
    GqlContext,
    GroupView,
    ItemView,
    LevelView,
    LocationView,
    ProductView,
    SubscriptionView,
    VariantView,
)

MAX_INPUT = 250


class ShopView:
    TYPENAME = "Shop"

    def __init__(self, ctx: GqlContext) -> None:
        platform = ctx.platform
        local = ctx.now.astimezone(platform.tz)
        offset = local.utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset else 0
        sign = "-" if minutes < 0 else "+"
        self.id = "gid://shopify/Shop/1"
        self.name = platform.shop_name
        self.email = f"owner@{platform.shop_domain}"
        self.myshopifyDomain = platform.shop_domain
        self.currencyCode = "USD"
        self.ianaTimezone = platform.timezone
        self.timezoneAbbreviation = local.tzname() or "UTC"
        self.timezoneOffset = f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
        self.timezoneOffsetMinutes = minutes


def _ctx(info: GraphQLResolveInfo) -> GqlContext:
    context: GqlContext = info.context
    return context


# -- search fields -----------------------------------------------------------------------------


_VARIANT_FIELDS: dict[str | None, Callable[[ShopifyStore, Variant], Any]] = {
    None: lambda st, v: [v.sku, v.title, st.products[v.product_id].title, v.barcode],
    "sku": lambda st, v: v.sku,
    "barcode": lambda st, v: v.barcode,
    "title": lambda st, v: v.title,
    "product_id": lambda st, v: v.product_id,
    "product_title": lambda st, v: st.products[v.product_id].title,
    "product_status": lambda st, v: st.products[v.product_id].status,
    "id": lambda st, v: v.id,
    "updated_at": lambda st, v: v.updated_at,
    "created_at": lambda st, v: v.created_at,
    "inventory_quantity": lambda st, v: st.available_total(v.inventory_item_id),
}
_PRODUCT_FIELDS: dict[str | None, Callable[[ShopifyStore, Product], Any]] = {
    None: lambda st, p: [p.title, p.handle, *(st.variants[v].sku for v in p.variant_ids)],
    "title": lambda st, p: p.title,
    "handle": lambda st, p: p.handle,
    "status": lambda st, p: p.status,
    "vendor": lambda st, p: p.vendor,
    "product_type": lambda st, p: p.product_type,
    "sku": lambda st, p: [st.variants[v].sku for v in p.variant_ids],
    "barcode": lambda st, p: [st.variants[v].barcode for v in p.variant_ids],
    "id": lambda st, p: p.id,
    "updated_at": lambda st, p: p.updated_at,
    "created_at": lambda st, p: p.created_at,
}
_ITEM_FIELDS: dict[str | None, Callable[[ShopifyStore, InventoryItem], Any]] = {
    None: lambda st, i: [st.variants[i.variant_id].sku],
    "sku": lambda st, i: st.variants[i.variant_id].sku,
    "id": lambda st, i: i.id,
    "created_at": lambda st, i: i.created_at,
    "updated_at": lambda st, i: i.updated_at,
}
_LOCATION_FIELDS: dict[str | None, Callable[[ShopifyStore, Location], Any]] = {
    None: lambda st, loc: [loc.name],
    "name": lambda st, loc: loc.name,
    "id": lambda st, loc: loc.id,
    "active": lambda st, loc: loc.active,
}


def _fields_of(table: dict[str | None, Callable[[ShopifyStore, Any], Any]], store: ShopifyStore) -> Any:
    def value(resource: Any, name: str | None) -> Any:
        getter = table.get(name)
        if getter is None:
            raise search.UnknownField(name)
        return getter(store, resource)

    return value


# -- queries -----------------------------------------------------------------------------------


def node_view(ctx: GqlContext, value: str) -> Any:
    kind, number, item_id = ids.parse(value)
    store = ctx.store
    if kind == "Product" and number in store.products:
        return ProductView(ctx, store.products[number])
    if kind == "ProductVariant" and number in store.variants:
        return VariantView(ctx, store.variants[number])
    if kind == "InventoryItem" and number in store.items:
        return ItemView(ctx, store.items[number])
    if kind == "Location" and number in store.locations:
        return LocationView(ctx, store.locations[number])
    if kind == "InventoryLevel" and (item_id or 0, number) in store.levels:
        return LevelView(ctx, store.levels[(item_id or 0, number)])
    if kind == "InventoryAdjustmentGroup" and number in store.groups:
        return GroupView(ctx, store.groups[number])
    if kind == "WebhookSubscription" and number in store.subscriptions:
        return SubscriptionView(ctx, store.subscriptions[number])
    if kind == "Shop":
        return ShopView(ctx)
    return None


def _typed(kind: str) -> Callable[..., Any]:
    def resolve(_: Any, info: GraphQLResolveInfo, id: str) -> Any:
        found, _number, _item = ids.parse(id)
        return node_view(_ctx(info), id) if found == kind else None

    return resolve


def q_location(_: Any, info: GraphQLResolveInfo, id: str | None = None) -> LocationView | None:
    ctx = _ctx(info)
    if id is None:
        return LocationView(ctx, ctx.store.locations[ctx.store.primary_location_id])
    found: LocationView | None = _typed("Location")(_, info, id)
    return found


def q_locations(
    _: Any, info: GraphQLResolveInfo, query: str | None = None, includeInactive: bool = False, **page: Any
) -> dict:
    ctx = _ctx(info)
    match = search.matcher(query, _fields_of(_LOCATION_FIELDS, ctx.store))
    found = [loc for loc in ctx.store.locations.values() if (loc.active or includeInactive) and match(loc)]
    return connections.paginate(
        found, field_name="locations", key=lambda loc: loc.id, wrap=partial(LocationView, ctx), **page
    )


def q_products(_: Any, info: GraphQLResolveInfo, query: str | None = None, **page: Any) -> dict:
    ctx = _ctx(info)
    match = search.matcher(query, _fields_of(_PRODUCT_FIELDS, ctx.store))
    found = [p for p in ctx.store.products.values() if match(p)]
    return connections.paginate(
        found, field_name="products", key=lambda p: p.id, wrap=partial(ProductView, ctx), **page
    )


def q_variants(_: Any, info: GraphQLResolveInfo, query: str | None = None, **page: Any) -> dict:
    ctx = _ctx(info)
    match = search.matcher(query, _fields_of(_VARIANT_FIELDS, ctx.store))
    candidates = ctx.store.variants_with_sku(search.exact_values(query, "sku"))
    found = [v for v in candidates if match(v)]
    return connections.paginate(
        found, field_name="productVariants", key=lambda v: v.id, wrap=partial(VariantView, ctx), **page
    )


def q_items(_: Any, info: GraphQLResolveInfo, query: str | None = None, **page: Any) -> dict:
    ctx = _ctx(info)
    match = search.matcher(query, _fields_of(_ITEM_FIELDS, ctx.store))
    wanted = search.exact_values(query, "sku")
    if wanted is None:
        found = [i for i in ctx.store.items.values() if match(i)]
    else:
        found = [ctx.store.items[v.inventory_item_id] for v in ctx.store.variants_with_sku(wanted)]
        found = [i for i in found if match(i)]
    return connections.paginate(
        found, field_name="inventoryItems", key=lambda i: i.id, wrap=partial(ItemView, ctx), **page
    )


def q_subscriptions(
    _: Any,
    info: GraphQLResolveInfo,
    topics: list[str] | None = None,
    uri: str | None = None,
    format: str | None = None,
    **page: Any,
) -> dict:
    ctx = _ctx(info)
    wanted = {rest_of(t) for t in topics or ()}
    found = [
        s
        for s in ctx.store.subscriptions.values()
        if (not topics or s.topic in wanted)
        and (uri is None or s.uri == uri)
        and (format is None or s.format == format)
    ]
    return connections.paginate(
        found,
        field_name="webhookSubscriptions",
        key=lambda s: s.id,
        wrap=partial(SubscriptionView, ctx),
        **page,
    )


# -- inventory mutations -----------------------------------------------------------------------


def _idempotency_key(info: GraphQLResolveInfo) -> str | None:
    directive = info.schema.get_directive("idempotent")
    if directive is None:
        return None
    values = get_directive_values(directive, info.field_nodes[0], info.variable_values)
    return str(values["key"]) if values else None


def _group_payload(ctx: GqlContext, group_id: int | None, errors: list[dict[str, Any]]) -> dict[str, Any]:
    group = ctx.store.groups.get(group_id or 0)
    return {"inventoryAdjustmentGroup": GroupView(ctx, group) if group else None, "userErrors": errors}


def _inventory_mutation(
    root: str, rows_field: str, input_type: str, run: Callable[..., inventory.Outcome]
) -> Callable[..., dict[str, Any]]:
    def resolve(_: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
        ctx = _ctx(info)
        key = _idempotency_key(info)
        if ctx.era == "modern":
            if key is None:
                raise GraphQLError(
                    "The @idempotent directive is required for this mutation but was not provided.",
                    extensions={"code": "BAD_REQUEST"},
                )
            if any("changeFromQuantity" not in row for row in input[rows_field]):
                raise GraphQLError(
                    f"{input_type} must include the following argument: changeFromQuantity.",
                    extensions={"code": "INVALID_FIELD_ARGUMENTS"},
                )
        fingerprint = json.dumps(input, sort_keys=True, default=str)
        slot = f"{root}:{key}"
        if key is not None and slot in ctx.store.idempotency:
            record = ctx.store.idempotency[slot]
            if record.fingerprint != fingerprint:
                message = "The same idempotency key cannot be used with different operation parameters."
                mismatch = [{"field": None, "message": message, "code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"}]
                return _group_payload(ctx, None, mismatch)
            return _group_payload(ctx, record.group_id, record.user_errors)
        outcome = run(ctx.store, input, era=ctx.era, now=ctx.now)
        group_id = outcome.group.id if outcome.group else None
        if key is not None:
            ctx.store.idempotency[slot] = IdempotencyRecord(fingerprint, group_id, outcome.errors)
        if outcome.group is not None:
            ctx.platform.note_write(ctx.request, key or f"{root}:{uuid.uuid4()}")
        for level in outcome.changed:
            ctx.events.append(("inventory_levels/update", level_json(level, ctx.platform.tz)))
        return _group_payload(ctx, group_id, outcome.errors)

    return resolve


# -- webhook mutations -------------------------------------------------------------------------


def m_webhook_create(
    _: Any, info: GraphQLResolveInfo, topic: str, webhookSubscription: dict[str, Any]
) -> dict[str, Any]:
    ctx = _ctx(info)
    rest_topic = rest_of(topic) or topic.lower()
    uri = webhookSubscription.get("uri") or webhookSubscription.get("callbackUrl")
    problem = webhooks.validate_address(ctx.store, rest_topic, uri)
    if problem:
        error = {"field": ["webhookSubscription", "callbackUrl"], "message": problem}
        return {"webhookSubscription": None, "userErrors": [error]}
    sub = webhooks.subscribe(
        ctx.store,
        topic=rest_topic,
        uri=str(uri),
        api_version=ctx.version,
        now=ctx.now,
        fmt=webhookSubscription.get("format") or "JSON",
        include_fields=webhookSubscription.get("includeFields"),
    )
    return {"webhookSubscription": SubscriptionView(ctx, sub), "userErrors": []}


def m_webhook_delete(_: Any, info: GraphQLResolveInfo, id: str) -> dict[str, Any]:
    ctx = _ctx(info)
    number = ids.parse_kind(id, "WebhookSubscription")
    if number is None or number not in ctx.store.subscriptions:
        error = {"field": ["id"], "message": "Webhook subscription does not exist"}
        return {"deletedWebhookSubscriptionId": None, "userErrors": [error]}
    del ctx.store.subscriptions[number]
    return {"deletedWebhookSubscriptionId": id, "userErrors": []}


# -- binding -----------------------------------------------------------------------------------

QUERY_RESOLVERS: dict[str, Callable[..., Any]] = {
    "shop": lambda _, info: ShopView(_ctx(info)),
    "node": lambda _, info, id: node_view(_ctx(info), id),
    "nodes": lambda _, info, ids: [node_view(_ctx(info), i) for i in ids],
    "location": q_location,
    "locations": q_locations,
    "product": _typed("Product"),
    "products": q_products,
    "productVariant": _typed("ProductVariant"),
    "productVariants": q_variants,
    "inventoryItem": _typed("InventoryItem"),
    "inventoryItems": q_items,
    "inventoryLevel": _typed("InventoryLevel"),
    "webhookSubscription": _typed("WebhookSubscription"),
    "webhookSubscriptions": q_subscriptions,
}
MUTATION_RESOLVERS: dict[str, Callable[..., Any]] = {
    "inventorySetQuantities": _inventory_mutation(
        "inventorySetQuantities", "quantities", "InventoryQuantityInput", inventory.set_quantities
    ),
    "inventoryAdjustQuantities": _inventory_mutation(
        "inventoryAdjustQuantities", "changes", "InventoryChangeInput", inventory.adjust_quantities
    ),
    "webhookSubscriptionCreate": m_webhook_create,
    "webhookSubscriptionDelete": m_webhook_delete,
}
# Input lists Shopify caps at 250 entries, checked before anything runs.
SIZE_LIMITS = {
    "inventorySetQuantities": ("input", "quantities"),
    "inventoryAdjustQuantities": ("input", "changes"),
}


def bind(schema: GraphQLSchema) -> GraphQLSchema:
    assert schema.query_type is not None
    assert schema.mutation_type is not None
    for name, resolver in QUERY_RESOLVERS.items():
        schema.query_type.fields[name].resolve = resolver
    for name, resolver in MUTATION_RESOLVERS.items():
        schema.mutation_type.fields[name].resolve = resolver
    node = schema.get_type("Node")
    node.resolve_type = lambda value, info, abstract: value.TYPENAME  # type: ignore[union-attr]
    return schema
