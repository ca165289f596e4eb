from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime

from channels.models import Activity, Listing
from inventory_sync.tables import NUM, QuickTable, quantity

OUTCOME_BADGE = {"ok": "ok", "warning": "warn", "error": "alarm"}


class ActivityTable(tables.Table):
    created_at = tables.DateTimeColumn(verbose_name="When", format="Y-m-d H:i:s")
    connection = tables.Column(accessor="connection__name", verbose_name="Connection", default="—")
    kind = tables.Column()
    outcome = tables.Column()
    summary = tables.Column(linkify=lambda record: reverse("activity-detail", args=[record.pk]))

    class Meta:
        model = Activity
        fields = ["created_at", "connection", "kind", "outcome", "summary"]
        order_by = ("-created_at",)

    def render_outcome(self, record: Activity) -> str:
        resolved = " (resolved)" if record.resolved_at else ""
        return format_html(
            '<span class="badge {}">{}{}</span>',
            OUTCOME_BADGE[record.outcome],
            record.get_outcome_display(),
            resolved,
        )


PUSH_BADGE = {"ok": ("ok", "Pushed"), "drift": ("warn", "Drifted"), "error": ("alarm", "Push failed")}


class ListingTable(QuickTable):
    """Channel listings with what the hub pushed and what the channel shows; one query per page
    (connection and item come with select_related)."""

    connection = tables.Column(
        accessor="connection__name", verbose_name="Channel", order_by="connection__name"
    )
    sku = tables.Column(verbose_name="Channel SKU", default="—")
    title = tables.Column(default="—")
    item = tables.Column(accessor="item__sku", verbose_name="Item", order_by="item__sku")
    available = tables.Column(accessor="item__available", verbose_name="Available in the hub", attrs=NUM)
    last_pushed_qty = tables.Column(verbose_name="Last pushed", attrs=NUM, default="—")
    last_seen_qty = tables.Column(verbose_name="Channel shows", attrs=NUM, default="—")
    last_push_outcome = tables.Column(verbose_name="Last push", empty_values=())

    class Meta:
        model = Listing
        fields = [
            "connection",
            "sku",
            "title",
            "item",
            "available",
            "last_pushed_qty",
            "last_seen_qty",
            "last_push_outcome",
        ]
        order_by = ("sku",)
        empty_text = "No listings match."

    def cell_item(self, record: Listing) -> str:
        if record.item is None:
            return mark_safe('<span class="muted">not matched</span>')
        return format_html(
            '<a href="{}">{}</a>',
            reverse("item-detail", args=[record.item_id]),
            record.item.sku or record.item.name,
        )

    def cell_available(self, record: Listing) -> str:
        return quantity(record.item.available if record.item else None)

    def cell_last_push_outcome(self, record: Listing) -> str:
        if not record.last_push_outcome:
            return mark_safe('<span class="muted">never pushed</span>')
        badge, label = PUSH_BADGE.get(record.last_push_outcome, ("", record.last_push_outcome))
        when = record.drift_detected_at if record.last_push_outcome == "drift" else record.last_pushed_at
        detail = f" {date_format(localtime(when), 'Y-m-d H:i')}" if when else ""
        return format_html(
            '<span class="badge {}" title="{}">{}</span><span class="muted">{}</span>',
            badge,
            record.last_push_error,
            label,
            detail,
        )
