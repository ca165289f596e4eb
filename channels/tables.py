from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from channels.models import Activity

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
