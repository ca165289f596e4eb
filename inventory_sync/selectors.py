"""Reads for pages and jobs: bounded queries, merchant-scoped, no writes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from inventory_sync.models import Item, ItemType, LineState, Merchant, Order, OrderLine, OrderStatus


def stocked_items(*, merchant: Merchant) -> Any:
    return Item.objects.for_merchant(merchant).filter(type=ItemType.INVENTORY, tracked=True, active=True)


def overview_figures(*, merchant: Merchant) -> dict[str, Any]:
    """The numbers that need attention, in a fixed handful of queries. Each one is the row count
    of the filtered list the overview links it to (see `overview_links`)."""
    from channels.adapters.base import PushOutcome
    from channels.models import Activity, Listing, Outcome

    items = stocked_items(merchant=merchant).aggregate(
        total=Count("pk"),
        sold_out=Count("pk", filter=Q(available__lte=0)),
        oversold=Count("pk", filter=Q(available__lt=0)),
        below_reorder=Count("pk", filter=Q(reorder_point__isnull=False, available__lt=F("reorder_point"))),
    )
    staged_lines = OrderLine.objects.for_merchant(merchant).filter(state=LineState.STAGED)
    staged = staged_lines.aggregate(lines=Count("pk"), units=Sum("quantity"))
    # A code waits per channel: the staging area has one row per (connection, code).
    staged_codes = staged_lines.values("connection_id", "code_normalized").distinct().count()
    open_orders = Order.objects.for_merchant(merchant).filter(status=OrderStatus.OPEN).count()
    drift = Listing.objects.for_merchant(merchant).filter(last_push_outcome=PushOutcome.DRIFT).count()
    failed_jobs = (
        Activity.objects.for_merchant(merchant)
        .filter(outcome=Outcome.ERROR, resolved_at__isnull=True)
        .count()
    )
    return {
        "items": items["total"],
        "sold_out": items["sold_out"],
        "oversold": items["oversold"],
        "below_reorder": items["below_reorder"],
        "staged_lines": staged["lines"],
        "staged_units": staged["units"] or 0,
        "staged_codes": staged_codes,
        "open_orders": open_orders,
        "drift": drift,
        "failed_jobs": failed_jobs,
    }


def overview_links() -> dict[str, str]:
    """Where each overview figure leads: the list filtered to exactly the rows it counts."""
    from django.urls import reverse

    from channels.adapters.base import PushOutcome

    items, orders = reverse("items"), reverse("orders")
    return {
        "oversold": f"{items}?status={ItemStatus.OVERSOLD}",
        "sold_out": f"{items}?status={ItemStatus.SOLD_OUT}",
        "below_reorder": f"{items}?status={ItemStatus.BELOW_REORDER}",
        "staged": reverse("staging"),
        "drift": f"{reverse('listings')}?outcome={PushOutcome.DRIFT}",
        "failed_jobs": f"{reverse('activity')}?outcome=error&open_errors=true",
        "open_orders": f"{orders}?status={OrderStatus.OPEN}",
    }


def overview_connections(*, merchant: Merchant) -> list[Any]:
    """Every connection with its status and last successful sync, master first."""
    from channels.models import Connection

    return list(Connection.objects.for_merchant(merchant).order_by("-role", "name"))  # master, then channels


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
    """Orders with their units and staged lines. Correlated subqueries rather than a join and
    GROUP BY: a page sorted by date then reads its 50 orders by index and sums only their lines,
    instead of aggregating every order of the merchant before the LIMIT."""
    lines = OrderLine.objects.filter(order=OuterRef("pk")).order_by().values("order")
    return (
        Order.objects.for_merchant(merchant)
        .select_related("connection")
        .annotate(
            staged_lines=Coalesce(
                Subquery(lines.filter(state=LineState.STAGED).annotate(n=Count("pk")).values("n")), 0
            ),
            units=Subquery(lines.annotate(total=Sum("quantity")).values("total")),
        )
    )
