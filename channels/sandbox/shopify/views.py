"""GraphQL object views over the store. graphql-core's default resolver reads attributes and calls
methods with the field's arguments, so each schema type is one small class here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo
from werkzeug.wrappers import Request

from channels.sandbox.kit import isoformat_z

from . import connections, ids, search, versions
from .store import (
    QUANTITY_NAMES,
    AdjustmentGroup,
    InventoryItem,
    Level,
    Location,
    Product,
    ShopifyStore,
    Subscription,
    Variant,
)
from .topics import enum_of


@dataclass
class GqlContext:
    """What every resolver needs; built per request."""

    platform: Any  # the ShopifySandbox (typed loosely to avoid an import cycle)
    store: ShopifyStore
    request: Request
    version: str
    era: str
    now: datetime
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def _level_fields(level: Level, name: str | None) -> Any:
    if name == "updated_at":
        return level.updated_at
    if name == "inventory_item_id":
        return level.item_id
    if name == "location_id":
        return level.location_id
    raise search.UnknownField(name)


class LocationView:
    TYPENAME = "Location"

    def __init__(self, ctx: GqlContext, location: Location) -> None:
        self.ctx = ctx
        self.location = location
        self.id = ids.gid("Location", location.id)
        self.legacyResourceId = str(location.id)
        self.name = location.name
        self.isActive = location.active
        self.isPrimary = location.id == ctx.store.primary_location_id
        self.fulfillsOnlineOrders = location.active

    @property
    def createdAt(self) -> str:
        return isoformat_z(self.location.created_at)

    @property
    def updatedAt(self) -> str:
        return isoformat_z(self.location.updated_at)

    def inventoryLevels(self, info: GraphQLResolveInfo, query: str | None = None, **page: Any) -> dict:
        keep = search.matcher(query, _level_fields)
        levels = [lvl for lvl in self.ctx.store.levels_at(self.location.id) if keep(lvl)]
        return connections.paginate(
            levels, field_name="inventoryLevels", key=lambda lvl: lvl.item_id, wrap=self._wrap, **page
        )

    def _wrap(self, level: Level) -> LevelView:
        return LevelView(self.ctx, level)

    def inventoryLevel(self, info: GraphQLResolveInfo, inventoryItemId: str) -> LevelView | None:
        item_id = ids.parse_kind(inventoryItemId, "InventoryItem")
        level = self.ctx.store.levels.get((item_id or 0, self.location.id))
        return LevelView(self.ctx, level) if level else None


class LevelView:
    TYPENAME = "InventoryLevel"

    def __init__(self, ctx: GqlContext, level: Level) -> None:
        self.ctx = ctx
        self.level = level
        self.id = ids.level_gid(level.location_id, level.item_id)

    @property
    def createdAt(self) -> str:
        return isoformat_z(self.level.created_at)

    @property
    def updatedAt(self) -> str:
        return isoformat_z(self.level.updated_at)

    def location(self, info: GraphQLResolveInfo) -> LocationView:
        return LocationView(self.ctx, self.ctx.store.locations[self.level.location_id])

    def item(self, info: GraphQLResolveInfo) -> ItemView:
        return ItemView(self.ctx, self.ctx.store.items[self.level.item_id])

    def quantities(self, info: GraphQLResolveInfo, names: list[str]) -> list[dict[str, Any]]:
        unknown = [n for n in names if n not in QUANTITY_NAMES]
        if unknown:
            raise GraphQLError(
                f"Invalid quantity name: '{unknown[0]}'. Valid names: {', '.join(QUANTITY_NAMES)}.",
                extensions={"code": "BAD_REQUEST"},
            )
        level = self.level
        return [
            {
                "id": f"gid://shopify/InventoryQuantity/{level.location_id}"
                f"?inventory_item_id={level.item_id}&name={name}",
                "name": name,
                "quantity": level.get(name),
                "updatedAt": isoformat_z(level.updated_at),
            }
            for name in names
        ]


class ItemView:
    TYPENAME = "InventoryItem"

    def __init__(self, ctx: GqlContext, item: InventoryItem) -> None:
        self.ctx = ctx
        self.item = item
        self.id = ids.gid("InventoryItem", item.id)
        self.legacyResourceId = str(item.id)
        self.sku = ctx.store.variants[item.variant_id].sku
        self.tracked = item.tracked
        self.requiresShipping = True

    @property
    def createdAt(self) -> str:
        return isoformat_z(self.item.created_at)

    @property
    def updatedAt(self) -> str:
        return isoformat_z(self.item.updated_at)

    def variant(self, info: GraphQLResolveInfo) -> VariantView:
        return VariantView(self.ctx, self.ctx.store.variants[self.item.variant_id])

    def inventoryLevels(self, info: GraphQLResolveInfo, query: str | None = None, **page: Any) -> dict:
        keep = search.matcher(query, _level_fields)
        levels = [lvl for lvl in self.ctx.store.levels_of_item(self.item.id) if keep(lvl)]
        return connections.paginate(
            levels, field_name="inventoryLevels", key=lambda lvl: lvl.location_id, wrap=self._wrap, **page
        )

    def _wrap(self, level: Level) -> LevelView:
        return LevelView(self.ctx, level)

    def inventoryLevel(self, info: GraphQLResolveInfo, locationId: str) -> LevelView | None:
        location_id = ids.parse_kind(locationId, "Location")
        level = self.ctx.store.levels.get((self.item.id, location_id or 0))
        return LevelView(self.ctx, level) if level else None


class VariantView:
    TYPENAME = "ProductVariant"

    def __init__(self, ctx: GqlContext, variant: Variant) -> None:
        self.ctx = ctx
        self.variant = variant
        self.id = ids.gid("ProductVariant", variant.id)
        self.legacyResourceId = str(variant.id)
        self.title = variant.title
        self.sku = variant.sku
        self.barcode = variant.barcode
        self.price = variant.price
        self.position = variant.position
        self.inventoryPolicy = variant.inventory_policy.upper()

    @property
    def createdAt(self) -> str:
        return isoformat_z(self.variant.created_at)

    @property
    def updatedAt(self) -> str:
        return isoformat_z(self.variant.updated_at)

    @property
    def displayName(self) -> str:
        return f"{self.ctx.store.products[self.variant.product_id].title} - {self.variant.title}"

    @property
    def inventoryQuantity(self) -> int:
        return self.ctx.store.available_total(self.variant.inventory_item_id)

    def product(self, info: GraphQLResolveInfo) -> ProductView:
        return ProductView(self.ctx, self.ctx.store.products[self.variant.product_id])

    def inventoryItem(self, info: GraphQLResolveInfo) -> ItemView:
        return ItemView(self.ctx, self.ctx.store.items[self.variant.inventory_item_id])


class ProductView:
    TYPENAME = "Product"

    def __init__(self, ctx: GqlContext, product: Product) -> None:
        self.ctx = ctx
        self.product = product
        self.id = ids.gid("Product", product.id)
        self.legacyResourceId = str(product.id)
        self.title = product.title
        self.handle = product.handle
        self.status = product.status
        self.vendor = product.vendor
        self.productType = product.product_type

    @property
    def createdAt(self) -> str:
        return isoformat_z(self.product.created_at)

    @property
    def updatedAt(self) -> str:
        return isoformat_z(self.product.updated_at)

    def _tracked_items(self) -> list[int]:
        store = self.ctx.store
        item_ids = [store.variants[v].inventory_item_id for v in self.product.variant_ids]
        return [i for i in item_ids if store.items[i].tracked]

    def totalInventory(self, info: GraphQLResolveInfo) -> int:
        return sum(self.ctx.store.available_total(i) for i in self._tracked_items())

    def tracksInventory(self, info: GraphQLResolveInfo) -> bool:
        return bool(self._tracked_items())

    def variants(self, info: GraphQLResolveInfo, **page: Any) -> dict:
        store = self.ctx.store
        variants = [store.variants[v] for v in self.product.variant_ids]
        return connections.paginate(
            variants,
            field_name="variants",
            key=lambda v: v.id,
            wrap=lambda v: VariantView(self.ctx, v),
            **page,
        )


class GroupView:
    TYPENAME = "InventoryAdjustmentGroup"

    def __init__(self, ctx: GqlContext, group: AdjustmentGroup) -> None:
        self.ctx = ctx
        self.group = group
        self.id = ids.gid("InventoryAdjustmentGroup", group.id)
        self.createdAt = isoformat_z(group.created_at)
        self.reason = group.reason
        self.referenceDocumentUri = group.reference_document_uri

    def changes(
        self,
        info: GraphQLResolveInfo,
        inventoryItemIds: list[str] | None = None,
        locationIds: list[str] | None = None,
        quantityNames: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        store = self.ctx.store
        items = {ids.parse_kind(i, "InventoryItem") for i in inventoryItemIds} if inventoryItemIds else None
        locations = {ids.parse_kind(i, "Location") for i in locationIds} if locationIds else None
        result = []
        for change in self.group.changes:
            if items is not None and change.item_id not in items:
                continue
            if locations is not None and change.location_id not in locations:
                continue
            if quantityNames is not None and change.name not in quantityNames:
                continue
            # Shopify answers null here for these mutations; clients must read levels instead.
            result.append(
                {
                    "name": change.name,
                    "delta": change.delta,
                    "quantityAfterChange": None,
                    "ledgerDocumentUri": change.ledger_document_uri,
                    "item": ItemView(self.ctx, store.items[change.item_id]),
                    "location": LocationView(self.ctx, store.locations[change.location_id]),
                }
            )
        return result


class SubscriptionView:
    TYPENAME = "WebhookSubscription"

    def __init__(self, ctx: GqlContext, sub: Subscription) -> None:
        self.id = ids.gid("WebhookSubscription", sub.id)
        self.legacyResourceId = str(sub.id)
        self.topic = enum_of(sub.topic)
        self.uri = sub.uri
        self.callbackUrl = sub.uri
        self.format = sub.format
        self.includeFields = list(sub.include_fields)
        today = ctx.now.date()
        self.apiVersion = {
            "handle": sub.api_version,
            "displayName": sub.api_version,
            "supported": sub.api_version in versions.supported_versions(today),
        }
        self.createdAt = isoformat_z(sub.created_at)
        self.updatedAt = isoformat_z(sub.updated_at)
