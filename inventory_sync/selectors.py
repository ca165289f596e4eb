"""Reads for pages and jobs: bounded queries, merchant-scoped, no writes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, Sum

from inventory_sync.models import Item, ItemType, LineState, Merchant, Order, OrderLine, OrderStatus


def stocked_items(*, merchant: Merchant) -> Any:
    return Item.objects.for_merchant(merchant).filter(type=ItemType.INVENTORY, tracked=True, active=True)


def overview_figures(*, merchant: Merchant) -> dict[str, Any]:
    """The numbers that need attention, in a fixed handful of queries."""
    items = stocked_items(merchant=merchant).aggregate(
        total=Count("pk"),
        sold_out=Count("pk", filter=Q(available__lte=0)),
        oversold=Count("pk", filter=Q(available__lt=0)),
        below_reorder=Count("pk", filter=Q(reorder_point__isnull=False, available__lt=F("reorder_point"))),
    )
    staged = (
        OrderLine.objects.for_merchant(merchant)
        .filter(state=LineState.STAGED)
        .aggregate(lines=Count("pk"), units=Sum("quantity"), codes=Count("code_normalized", distinct=True))
    )
    open_orders = Order.objects.for_merchant(merchant).filter(status=OrderStatus.OPEN).count()
    return {
        "items": items["total"],
        "sold_out": items["sold_out"],
        "oversold": items["oversold"],
        "below_reorder": items["below_reorder"],
        "staged_lines": staged["lines"],
        "staged_units": staged["units"] or 0,
        "staged_codes": staged["codes"],
        "open_orders": open_orders,
    }


@dataclass(frozen=True)
class OrderAllocation:
    order_id: int
    in_stock: bool
    short_items: tuple[int, ...]  # items whose units ran out before this order


def fulfilment_view(*, merchant: Merchant, order_ids: set[int] | None = None) -> dict[int, OrderAllocation]:
    """First in, first out (xConnector's "InStock"): open orders oldest first; an order is in
    stock if every live line fits in the units left of its item, and then takes them; otherwise
    it is backordered and takes nothing. Units left start at the master's on-hand quantity (the
    reservations ARE these orders). Every open order is walked, since any older order may take
    units a later one needs; `order_ids` only narrows what is returned.
    """
    rows = (
        OrderLine.objects.for_merchant(merchant)
        .filter(state=LineState.LIVE, order__status=OrderStatus.OPEN, item__isnull=False)
        .order_by("order__channel_created_at", "order_id", "pk")
        .values_list("order_id", "item_id", "quantity", "refunded_quantity")
    )
    needs: dict[int, dict[int, int]] = {}
    for order_id, item_id, quantity, refunded in rows:
        needs.setdefault(order_id, defaultdict(int))[item_id] += quantity - refunded
    item_ids = {item_id for per_item in needs.values() for item_id in per_item}
    left: dict[int, Decimal] = dict(Item.objects.filter(pk__in=item_ids).values_list("pk", "master_on_hand"))
    result = {}
    for order_id, per_item in needs.items():
        short = tuple(sorted(item_id for item_id, qty in per_item.items() if left[item_id] < qty))
        if not short:
            for item_id, qty in per_item.items():
                left[item_id] -= qty
        if order_ids is None or order_id in order_ids:
            result[order_id] = OrderAllocation(order_id, not short, short)
    return result


# ------------------------------------------------------------------------------------------
# Items


class ItemStatus:
    OVERSOLD = "oversold"
    SOLD_OUT = "sold_out"
    BELOW_REORDER = "below_reorder"
    OK = "ok"
    NOT_STOCKED = "not_stocked"
    INACTIVE = "inactive"

    LABELS = {
        OVERSOLD: "Oversold",
        SOLD_OUT: "Sold out",
        BELOW_REORDER: "Below reorder point",
        OK: "In stock",
        NOT_STOCKED: "Not stocked",
        INACTIVE: "Inactive",
    }


def item_status(item: Item) -> str:
    if not item.active:
        return ItemStatus.INACTIVE
    if not item.is_stocked:
        return ItemStatus.NOT_STOCKED
    if item.available < 0:
        return ItemStatus.OVERSOLD
    if item.available == 0:
        return ItemStatus.SOLD_OUT
    if item.reorder_point is not None and item.available < item.reorder_point:
        return ItemStatus.BELOW_REORDER
    return ItemStatus.OK


def filter_item_status(items: Any, status: str | None) -> Any:
    stocked = Q(type=ItemType.INVENTORY, tracked=True, active=True)
    if status == ItemStatus.OVERSOLD:
        items = items.filter(stocked, available__lt=0)
    elif status == ItemStatus.SOLD_OUT:
        items = items.filter(stocked, available__lte=0)
    elif status == ItemStatus.BELOW_REORDER:
        items = items.filter(stocked, reorder_point__isnull=False, available__lt=F("reorder_point"))
    elif status == ItemStatus.OK:
        items = items.filter(stocked, available__gt=0)
    elif status == ItemStatus.NOT_STOCKED:
        items = items.filter(~Q(type=ItemType.INVENTORY) | Q(tracked=False))
    elif status == ItemStatus.INACTIVE:
        items = items.filter(active=False)
    return items


def pushed_quantities(*, item_ids: list[int]) -> dict[int, dict[int, tuple[int | None, str]]]:
    """item id -> connection id -> (quantity last pushed, outcome of the last push)."""
    from channels.models import Listing

    result: dict[int, dict[int, tuple[int | None, str]]] = defaultdict(dict)
    for item_id, connection_id, pushed, outcome in Listing.objects.filter(item_id__in=item_ids).values_list(
        "item_id", "connection_id", "last_pushed_qty", "last_push_outcome"
    ):
        result[item_id][connection_id] = (pushed, outcome)
    return result


@dataclass(frozen=True)
class ChartPoint:
    at: str
    on_hand: Decimal
    available: Decimal


@dataclass(frozen=True)
class StockChart:
    """An SVG-ready stock history: polylines for on hand and available, drawn from the ledger."""

    width: int
    height: int
    on_hand_points: str
    available_points: str
    zero_y: float | None
    y_max: Decimal
    y_min: Decimal
    first_at: str
    last_at: str
    points: list[ChartPoint]


def stock_chart(*, item: Item, limit: int = 400, width: int = 720, height: int = 220) -> StockChart | None:
    movements = list(
        item.movements.order_by("-id").values_list("created_at", "on_hand_after", "reserved_after")[:limit]
    )
    if not movements:
        return None
    movements.reverse()
    points = [
        ChartPoint(at.isoformat(timespec="minutes"), on_hand, on_hand - reserved)
        for at, on_hand, reserved in movements
    ]
    values = [p.on_hand for p in points] + [p.available for p in points]
    low, high = min(*values, Decimal(0)), max(*values, Decimal(1))
    span = high - low or Decimal(1)
    pad = 6

    def xy(index: int, value: Decimal) -> str:
        x = pad + (width - 2 * pad) * (index / max(len(points) - 1, 1))
        y = pad + (height - 2 * pad) * float((high - value) / span)
        return f"{x:.1f},{y:.1f}"

    zero_y = pad + (height - 2 * pad) * float(high / span) if low < 0 else None
    return StockChart(
        width=width,
        height=height,
        on_hand_points=" ".join(xy(i, p.on_hand) for i, p in enumerate(points)),
        available_points=" ".join(xy(i, p.available) for i, p in enumerate(points)),
        zero_y=zero_y,
        y_max=high,
        y_min=low,
        first_at=points[0].at,
        last_at=points[-1].at,
        points=points,
    )


# ------------------------------------------------------------------------------------------
# Orders


def orders_for_list(*, merchant: Merchant) -> Any:
    return (
        Order.objects.for_merchant(merchant)
        .select_related("connection")
        .annotate(
            staged_lines=Count("lines", filter=Q(lines__state=LineState.STAGED)),
            units=Sum("lines__quantity"),
        )
    )
