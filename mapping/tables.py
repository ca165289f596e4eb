from __future__ import annotations

from functools import cached_property
from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.timezone import localtime

from inventory_sync.tables import NUM, QuickTable
from mapping.models import Matching


class StagedCodeTable(QuickTable):
    pick = tables.Column(accessor="code_normalized", verbose_name="", orderable=False, empty_values=())
    connection = tables.Column(accessor="connection__name", verbose_name="Channel")
    code = tables.Column(
        accessor="example", verbose_name="Product code (as the channel spells it)", order_by="code_normalized"
    )
    lines = tables.Column(verbose_name="Lines waiting", attrs=NUM)
    units = tables.Column(verbose_name="Units waiting", attrs=NUM)
    first_seen = tables.DateTimeColumn(verbose_name="First seen", format="Y-m-d H:i")
    last_seen = tables.DateTimeColumn(verbose_name="Last seen", format="Y-m-d H:i")
    action = tables.Column(accessor="code_normalized", verbose_name="", orderable=False, empty_values=())

    class Meta:
        attrs = {"class": "staging"}
        empty_text = "Nothing waits here: every order line has a matching."

    def cell_pick(self, record: dict[str, Any]) -> str:
        value = f"{record['connection_id']}|{record['code_normalized']}"
        return format_html(
            '<input type="checkbox" name="pick" value="{}" aria-label="Select {} on {}" '
            'form="match-selected">',
            value,
            record["example"],
            record["connection__name"],
        )

    def cell_first_seen(self, record: dict[str, Any]) -> str:
        return date_format(localtime(record["first_seen"]), "Y-m-d H:i")

    def cell_last_seen(self, record: dict[str, Any]) -> str:
        return date_format(localtime(record["last_seen"]), "Y-m-d H:i")

    def cell_action(self, record: dict[str, Any]) -> str:
        query = urlencode({"connection": record["connection_id"], "code": record["code_normalized"]})
        return format_html(
            '<a class="button small" href="{}?{}">Add matching…'
            '<span class="sr-only"> for {} on {}</span></a>',
            self.match_url,
            query,
            record["example"],
            record["connection__name"],
        )

    @cached_property
    def match_url(self) -> str:
        return reverse("match")


class MatchingTable(tables.Table):
    connection = tables.Column(accessor="connection__name", verbose_name="Channel")
    code = tables.Column(verbose_name="Product code")
    item = tables.Column(linkify=lambda record: reverse("item-detail", args=[record.item_id]))
    source = tables.Column()
    created_by = tables.Column(verbose_name="By", default="—")
    created_at = tables.DateTimeColumn(verbose_name="Since", format="Y-m-d H:i")
    unmatch = tables.Column(accessor="pk", verbose_name="", orderable=False, empty_values=())

    class Meta:
        model = Matching
        fields = ["connection", "code", "item", "source", "created_by", "created_at"]
        order_by = ("connection", "code")

    def __init__(self, *args: Any, can_staff: bool = False, csrf_token: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.can_staff = can_staff
        self.csrf_token = csrf_token
        if not can_staff:
            self.columns.hide("unmatch")

    def render_unmatch(self, record: Matching) -> str:
        return format_html(
            '<form method="post" action="{}"><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
            '<button type="submit" class="button small secondary" aria-label="Unmatch {}">'
            "Unmatch</button></form>",
            reverse("unmatch", args=[record.pk]),
            self.csrf_token,
            record.code,
        )
