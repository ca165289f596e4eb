"""Tables of the items and orders pages (django-tables2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import django_tables2 as tables
from django.http import HttpRequest
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime
from django_tables2.utils import A

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


PAGE_SIZE_DEFAULT, PAGE_SIZE_MIN, PAGE_SIZE_MAX = 50, 10, 500


def page_size(request: HttpRequest) -> int:
    """Rows per page a list asks for (?per_page=), kept between 10 and 500."""
    try:
        return max(PAGE_SIZE_MIN, min(int(request.GET.get("per_page", PAGE_SIZE_DEFAULT)), PAGE_SIZE_MAX))
    except ValueError:
        return PAGE_SIZE_DEFAULT


def quantity(value: Any) -> str:
    """Quantities without trailing zeros: 12, 2.5, -3."""
    if value is None:
        return "—"
    text = format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)
    return text


NUM = {"td": {"class": "num"}, "th": {"class": "num"}}
QUICK_TEMPLATE = "includes/quick_table.html"


class QuickTable(tables.Table):
    """A django-tables2 table (columns, headers, sorting, pagination) whose body is rendered here.

    django-tables2 renders each cell through introspection (`inspect.signature` of the render
    method, the column's attributes rebuilt, a template loop): about 0.1 ms a cell, 50-80 ms for
    a 50-row page of the items table, which must answer in 150 ms at 100,000 items. Here each
    column's `<td>` attributes are built once per page and each cell is one call: the table's
    `cell_<name>(record)` if it has one, else the column's `cell(record, table)`, else the
    record's value (the column's default when empty). Cells are escaped unless marked safe.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("template_name", QUICK_TEMPLATE)
        super().__init__(*args, **kwargs)

    def records(self) -> Any:
        return self.page.object_list.data if hasattr(self, "page") else self.data

    def body_rows(self) -> list[str]:
        plan = [(column.attrs["td"].as_html(), self._cell_function(column)) for column in self.columns]
        return [
            mark_safe(  # noqa: S308  # every cell is escaped by format_html
                "".join(format_html("<td {}>{}</td>", td, cell(record)) for td, cell in plan)
            )
            for record in self.records()
        ]

    def _cell_function(self, bound: Any) -> Callable[[Any], Any]:
        own = getattr(self, f"cell_{bound.name}", None)
        if own is not None:
            return cast(Callable[[Any], Any], own)
        column_cell = getattr(bound.column, "cell", None)
        if column_cell is not None:
            return lambda record: column_cell(record, self)
        accessor, default = A(bound.accessor), bound.default

        def plain(record: Any) -> Any:
            value = accessor.resolve(record, quiet=True)
            return default if value in (None, "") else value

        return plain


class QuantityColumn(tables.Column):
    def __init__(self, *args: Any, alarm_negative: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("attrs", NUM)
        super().__init__(*args, **kwargs)
        self.alarm_negative = alarm_negative

    def render(self, value: Any) -> str:
        text = quantity(value)
        if self.alarm_negative and value is not None and value < 0:
            return format_html('<span class="negative">{}</span>', text)
        if self.alarm_negative and value == 0:
            return format_html('<span class="zero">{}</span>', text)
        return text

    def cell(self, record: Any, table: Any) -> str:
        return self.render(A(self.accessor).resolve(record, quiet=True))


class ChannelQuantityColumn(tables.Column):
    """The quantity last pushed to one channel; the page's listings are read in one query."""

    def __init__(self, connection_id: int, **kwargs: Any) -> None:
        kwargs.setdefault("attrs", NUM)
        super().__init__(accessor="pk", orderable=False, empty_values=(), **kwargs)
        self.connection_id = connection_id

    def cell(self, record: Item, table: ItemTable) -> str:
        pushed, outcome = table.pushed().get(record.pk, {}).get(self.connection_id, (None, ""))
        if pushed is None and not outcome:
            return NOT_LISTED
        badge = "" if outcome in ("", "ok") else format_html(' <span class="badge warn">{}</span>', outcome)
        return format_html("{}{}", quantity(pushed), badge)


NOT_LISTED = mark_safe('<span class="muted" title="not listed on this channel">—</span>')


class ItemTable(QuickTable):
    sku = tables.Column(verbose_name="SKU", order_by=("sku_normalized",))
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
        empty_text = "No items match."

    def __init__(self, *args: Any, connections: list[Any] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        extra = [
            (f"channel_{c.pk}", ChannelQuantityColumn(c.pk, verbose_name=f"Pushed to {c.name}"))
            for c in connections
        ]
        super().__init__(*args, extra_columns=extra, **kwargs)
        self._pushed: dict | None = None

    def pushed(self) -> dict:
        if self._pushed is None:
            self._pushed = pushed_quantities(item_ids=[row.pk for row in self.records()])
        return self._pushed

    def cell_sku(self, record: Item) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("item-detail", args=[record.pk]), record.sku or "(no SKU)"
        )

    def cell_type(self, record: Item) -> str:
        return record.get_type_display()

    def cell_status(self, record: Item) -> str:
        status = item_status(record)
        return format_html(
            '<span class="badge {}">{}</span>', STATUS_BADGE[status], ItemStatus.LABELS[status]
        )


ORDER_BADGE = {"open": "", "fulfilled": "ok", "dispatched": "", "cancelled": "", "refunded": ""}


class OrderTable(QuickTable):
    number = tables.Column(verbose_name="Order")
    connection = tables.Column(
        verbose_name="Channel", accessor="connection__name", order_by="connection__name"
    )
    channel_created_at = tables.DateTimeColumn(verbose_name="Placed", format="Y-m-d H:i")
    status = tables.Column()
    in_stock = tables.Column(accessor="pk", verbose_name="Fulfilment", orderable=False, empty_values=())
    units = QuantityColumn(verbose_name="Units")
    staged_lines = tables.Column(verbose_name="Lines waiting", attrs=NUM)

    class Meta:
        model = Order
        fields = ["number", "connection", "channel_created_at", "status", "in_stock", "units", "staged_lines"]
        order_by = ("-channel_created_at",)
        empty_text = "No orders match."

    def __init__(self, *args: Any, allocation: dict | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allocation = allocation or {}

    def cell_number(self, record: Order) -> str:
        return format_html('<a href="{}">{}</a>', reverse("order-detail", args=[record.pk]), str(record))

    def cell_channel_created_at(self, record: Order) -> str:
        return date_format(localtime(record.channel_created_at), "Y-m-d H:i")

    def cell_status(self, record: Order) -> str:
        return format_html(
            '<span class="badge {}">{}</span>',
            ORDER_BADGE.get(record.status, ""),
            record.get_status_display(),
        )

    def cell_in_stock(self, record: Order) -> str:
        allocation = self.allocation.get(record.pk)
        if allocation is None:
            return mark_safe('<span class="muted">—</span>')
        if allocation.in_stock:
            return mark_safe('<span class="badge ok">In stock</span>')
        return mark_safe('<span class="badge alarm">Backordered</span>')

    def cell_staged_lines(self, record: Order) -> str:
        if record.staged_lines:  # type: ignore[attr-defined]  # annotated by orders_for_list
            return format_html('<span class="badge warn">{}</span>', record.staged_lines)  # type: ignore[attr-defined]
        return "0"
