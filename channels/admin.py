from __future__ import annotations

from django.contrib import admin

from channels.models import Connection, Listing


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "role", "status", "sync_inventory", "merchant", "last_success_at"]
    list_filter = ["merchant", "kind", "status", "sync_inventory"]
    search_fields = ["name", "external_account_id"]
    # Secrets are never shown or edited here: the dashboard's connect flows set them.
    exclude = ["credentials", "webhook_secret"]
    readonly_fields = [
        "uuid",
        "orders_cursor",
        "cdc_cursor",
        "payouts_cursor",
        "last_success_at",
        "last_error",
        "last_error_at",
    ]


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = [
        "sku",
        "title",
        "connection",
        "item",
        "tracked",
        "last_seen_qty",
        "last_pushed_qty",
        "last_push_outcome",
    ]
    list_filter = ["merchant", "connection", "tracked", "last_push_outcome", "push_pending"]
    search_fields = ["sku", "barcode", "title", "external_id"]
    raw_id_fields = ["item"]
