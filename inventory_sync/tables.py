"""Tables of the items and orders pages (django-tables2)."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from inventory_sync.models import Item, Order
from inventory_sync.selectors import ItemStatus, item_status, pushed_quantities

STATUS_BADGE = {
    ItemStatus.OVERSOLD: "alarm",
    ItemStatus.SOLD_OUT: "warn",
    ItemStatus.BELOW_REORDER: "warn",
    ItemStatus.OK: "ok",
    ItemStatus.NOT_STOCKED: "",
    ItemStatus.INACTIVE: "",
}


def quantity(value: Any) -> str:
    """Quantities without trailing zeros: 12, 2.5, -3."""
    if value is None:
        return "—"
    text = format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)
    return text


class QuantityColumn(tables.Column):
    def __init__(self, *args: Any, alarm_negative: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("attrs", {"td": {"class": "num"}, "th": {"class": "num"}})
        super().__init__(*args, **kwargs)
        self.alarm_negative = alarm_negative

    def render(self, value: Any) -> str:
        text = quantity(value)
        if self.alarm_negative and value is not None and value < 0:
            return format_html('<span class="negative">{}</span>', text)
        if self.alarm_negative and value == 0:
            return format_html('<span class="zero">{}</span>', text)
        return text


class ChannelQuantityColumn(tables.Column):
    """The quantity last pushed to one channel; the page's listings are read in one query."""

    def __init__(self, connection_id: int, **kwargs: Any) -> None:
        kwargs.setdefault("attrs", {"td": {"class": "num"}, "th": {"class": "num"}})
        super().__init__(accessor="pk", orderable=False, empty_values=(), **kwargs)
        self.connection_id = connection_id

    def render(self, record: Item, table: ItemTable) -> str:
        pushed, outcome = table.pushed().get(record.pk, {}).get(self.connection_id, (None, ""))
        if pushed is None and not outcome:
            return format_html('<span class="muted" title="not listed on this channel">—</span>')
        badge = "" if outcome in ("", "ok") else format_html(' <span class="badge warn">{}</span>', outcome)
        return format_html("{}{}", quantity(pushed), badge)


class ItemTable(tables.Table):
    sku = tables.Column(linkify=lambda record: reverse("item-detail", args=[record.pk]), verbose_name="SKU")
    name = tables.Column()
    type = tables.Column()
    master_on_hand = QuantityColumn(verbose_name="On hand (master)")
    reserved = QuantityColumn(verbose_name="Reserved")
    available = QuantityColumn(verbose_name="Available", alarm_negative=True)
    status = tables.Column(accessor="pk", verbose_name="Status", orderable=False, empty_values=())

    class Meta:
        model = Item
        fields = ["sku", "name", "type", "master_on_hand", "reserved", "available"]
        sequence = ["sku", "name", "type", "master_on_hand", "reserved", "available", "...", "status"]
        attrs = {"class": "items"}
        order_by = ("sku",)

    def __init__(self, *args: Any, connections: list[Any] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        extra = [
            (f"channel_{c.pk}", ChannelQuantityColumn(c.pk, verbose_name=f"Pushed to {c.name}"))
            for c in connections
        ]
        super().__init__(*args, extra_columns=extra, **kwargs)
        self._pushed: dict | None = None

    def pushed(self) -> dict:
        if self._pushed is None:
            rows = self.page.object_list.data if hasattr(self, "page") else self.data
            self._pushed = pushed_quantities(item_ids=[row.pk for row in rows])
        return self._pushed

    def render_status(self, record: Item) -> str:
        status = item_status(record)
        return format_html(
            '<span class="badge {}">{}</span>', STATUS_BADGE[status], ItemStatus.LABELS[status]
        )


ORDER_BADGE = {"open": "", "fulfilled": "ok", "dispatched": "", "cancelled": "", "refunded": ""}


class OrderTable(tables.Table):
    number = tables.Column(
        linkify=lambda record: reverse("order-detail", args=[record.pk]), verbose_name="Order"
    )
    connection = tables.Column(
        verbose_name="Channel", accessor="connection__name", order_by="connection__name"
    )
    channel_created_at = tables.DateTimeColumn(verbose_name="Placed", format="Y-m-d H:i")
    status = tables.Column()
    in_stock = tables.Column(accessor="pk", verbose_name="Fulfilment", orderable=False, empty_values=())
    units = QuantityColumn(verbose_name="Units")
    staged_lines = tables.Column(
        verbose_name="Lines waiting", attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )

    class Meta:
        model = Order
        fields = ["number", "connection", "channel_created_at", "status", "in_stock", "units", "staged_lines"]
        order_by = ("-channel_created_at",)

    def __init__(self, *args: Any, allocation: dict | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allocation = allocation or {}

    def render_status(self, record: Order) -> str:
        return format_html(
            '<span class="badge {}">{}</span>',
            ORDER_BADGE.get(record.status, ""),
            record.get_status_display(),
        )

    def render_in_stock(self, record: Order) -> str:
        allocation = self.allocation.get(record.pk)
        if allocation is None:
            return format_html('<span class="muted">—</span>')
        if allocation.in_stock:
            return format_html('<span class="badge ok">In stock</span>')
        return format_html('<span class="badge alarm">Backordered</span>')

    def render_staged_lines(self, value: int) -> str:
        if value:
            return format_html('<span class="badge warn">{}</span>', value)
        return "0"
