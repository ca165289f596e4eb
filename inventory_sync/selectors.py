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
