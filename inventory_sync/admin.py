from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from inventory_sync.models import Item, Membership, Merchant, Order, OrderLine, Reservation, StockMovement


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "timezone", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "merchant", "role", "created_at"]
    list_filter = ["role", "merchant"]
    autocomplete_fields = ["user", "merchant"]


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    # Counters move only through the stock services, with a ledger row each.
    readonly_fields = ["master_on_hand", "master_updated_at", "reserved", "available", "sync_token"]
    list_display = ["sku", "name", "type", "master_on_hand", "reserved", "available", "active", "merchant"]
    list_filter = ["merchant", "type", "active", "tracked"]
    search_fields = ["sku", "name", "barcode", "master_id"]
    list_select_related = ["merchant"]


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    fields = ["external_id", "product_code", "quantity", "refunded_quantity", "unit_price", "item", "state"]
    readonly_fields = ["state"]
    raw_id_fields = ["item"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "connection", "status", "financial_status", "channel_created_at", "merchant"]
    list_filter = ["merchant", "status", "connection"]
    search_fields = ["number", "external_id"]
    inlines = [OrderLineInline]
    list_select_related = ["merchant", "connection"]


@admin.register(OrderLine)
class OrderLineAdmin(admin.ModelAdmin):
    list_display = ["order", "product_code", "quantity", "state", "item", "merchant"]
    list_filter = ["merchant", "state", "connection"]
    search_fields = ["product_code", "order__number"]
    raw_id_fields = ["order", "item"]
    readonly_fields = ["state"]


@admin.register(Reservation)
class ReservationAdmin(admin.ModelAdmin):
    list_display = ["line", "item", "quantity", "state", "revision", "posting_ref", "created_at", "closed_at"]
    list_filter = ["merchant", "state"]
    raw_id_fields = ["line", "item"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    """The ledger: read-only, append-only."""

    list_display = [
        "created_at",
        "item",
        "kind",
        "on_hand_delta",
        "reserved_delta",
        "on_hand_after",
        "reserved_after",
        "source",
    ]
    list_filter = ["merchant", "kind"]
    search_fields = ["source", "idempotency_key", "item__sku"]
    raw_id_fields = ["item", "reservation"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
