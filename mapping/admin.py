from __future__ import annotations

from django.contrib import admin

from mapping.models import Matching


@admin.register(Matching)
class MatchingAdmin(admin.ModelAdmin):
    list_display = ["code", "item", "connection", "source", "created_by", "created_at"]
    list_filter = ["merchant", "connection", "source"]
    search_fields = ["code", "item__sku", "item__name"]
    raw_id_fields = ["item"]
