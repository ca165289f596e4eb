"""Reads of the staging area and matchings."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, Min, Q, Sum

from channels.models import Connection
from inventory_sync.models import Item, LineState, Merchant, OrderLine, normalize_code
from mapping.models import Matching


def _staged_lines(*, merchant: Merchant, connection_id: int | None, search: str) -> Any:
    lines = OrderLine.objects.for_merchant(merchant).filter(state=LineState.STAGED)
    if connection_id:
        lines = lines.filter(connection_id=connection_id)
    if search.strip():
        lines = lines.filter(code_normalized__contains=normalize_code(search))
    return lines


def staged_totals(
    *, merchant: Merchant, connection_id: int | None = None, search: str = ""
) -> dict[str, int]:
    """Lines and units waiting, for the same filters as `staged_codes` (whose row count is the
    number of codes)."""
    totals = _staged_lines(merchant=merchant, connection_id=connection_id, search=search).aggregate(
        lines=Count("pk"), units=Sum("quantity")
    )
    return {"lines": totals["lines"], "units": totals["units"] or 0}


def staged_codes(*, merchant: Merchant, connection_id: int | None = None, search: str = "") -> Any:
    """One row per (connection, code) waiting in the staging area, most units first."""
    lines = _staged_lines(merchant=merchant, connection_id=connection_id, search=search)
    return (
        lines.values("connection_id", "connection__name", "code_normalized")
        .annotate(
            lines=Count("pk"),
            units=Sum("quantity"),
            first_seen=Min("created_at"),
            last_seen=Max("created_at"),
            example=Max("product_code"),
        )
        .order_by("-units", "connection__name", "code_normalized")
    )


def waiting_for(*, connection: Connection, codes: list[str]) -> dict[str, dict[str, Any]]:
    rows = (
        OrderLine.objects.filter(connection=connection, state=LineState.STAGED, code_normalized__in=codes)
        .values("code_normalized")
        .annotate(lines=Count("pk"), units=Sum("quantity"), example=Max("product_code"))
    )
    return {row["code_normalized"]: dict(row) for row in rows}


def item_search(*, merchant: Merchant, query: str, limit: int = 20) -> list[Item]:
    query = query.strip()
    if not query:
        return []
    return list(
        Item.objects.for_merchant(merchant)
        .filter(active=True)
        .filter(Q(sku__icontains=query) | Q(name__icontains=query) | Q(barcode=query))
        .order_by("sku")[:limit]
    )


def matchings_for_list(*, merchant: Merchant) -> Any:
    return Matching.objects.for_merchant(merchant).select_related("connection", "item", "created_by")
