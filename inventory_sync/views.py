"""Account pages: sign in and out, the merchant switcher, the overview."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from channels.models import Connection, ConnectionRole
from inventory_sync import selectors
from inventory_sync.filters import ItemFilter, OrderFilter
from inventory_sync.models import Item, LineState, Membership, Merchant, Order, OrderLine, OrderStatus, Role
from inventory_sync.services.orders import order_mark_dispatched
from inventory_sync.tables import ItemTable, OrderTable, page_size
from inventory_sync.tenancy import SESSION_KEY, current_merchant, get_scoped_or_404, public, require_role

login = public(auth_views.LoginView.as_view(redirect_authenticated_user=True))
logout = public(auth_views.LogoutView.as_view())


@require_role(Role.VIEWER)
def overview(request: HttpRequest) -> HttpResponse:
    merchant = current_merchant(request)
    return render(
        request,
        "overview.html",
        {
            "figures": selectors.overview_figures(merchant=merchant),
            "links": selectors.overview_links(),
            "connections": selectors.overview_connections(merchant=merchant),
        },
    )


@require_POST
@require_role(Role.VIEWER)
def switch_merchant(request: HttpRequest) -> HttpResponse:
    membership = get_object_or_404(Membership, user=request.user, merchant_id=request.POST.get("merchant"))
    request.session[SESSION_KEY] = membership.merchant_id
    target = request.POST.get("next") or reverse("overview")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("overview")
    return HttpResponseRedirect(target)


# ------------------------------------------------------------------------------------------
# Items


def _channels(merchant: Merchant) -> list[Connection]:
    return list(
        Connection.objects.for_merchant(merchant).filter(role=ConnectionRole.CHANNEL).order_by("name")
    )


@require_role(Role.VIEWER)
def items(request: HttpRequest) -> HttpResponse:
    merchant = current_merchant(request)
    filterset = ItemFilter(request.GET, queryset=Item.objects.for_merchant(merchant))
    table = ItemTable(filterset.qs, connections=_channels(merchant))
    RequestConfig(request, paginate={"per_page": page_size(request)}).configure(table)
    return render(request, "items/list.html", {"filter": filterset, "table": table})


@require_role(Role.VIEWER)
def item_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    merchant = current_merchant(request)
    item = get_scoped_or_404(Item.objects.all(), request, pk=item_id)
    listings = item.listings.select_related("connection").order_by("connection__name")
    open_lines = (
        OrderLine.objects.filter(item=item, state=LineState.LIVE, order__status=OrderStatus.OPEN)
        .select_related("order", "order__connection")
        .order_by("order__channel_created_at", "order_id")[:200]
    )
    allocation = selectors.fulfilment_view(
        merchant=merchant, order_ids={line.order_id for line in open_lines}
    )
    movements = item.movements.order_by("-id")[:50]
    return render(
        request,
        "items/detail.html",
        {
            "item": item,
            "status_label": selectors.ItemStatus.LABELS[selectors.item_status(item)],
            "listings": listings,
            "open_lines": [(line, allocation.get(line.order_id)) for line in open_lines],
            "chart": selectors.stock_chart(item=item),
            "movements": movements,
        },
    )


# ------------------------------------------------------------------------------------------
# Orders


@require_role(Role.VIEWER)
def orders(request: HttpRequest) -> HttpResponse:
    merchant = current_merchant(request)
    filterset = OrderFilter(
        request.GET, queryset=selectors.orders_for_list(merchant=merchant), merchant=merchant
    )
    table = OrderTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": page_size(request)}).configure(table)
    page_ids = {order.pk for order in table.page.object_list.data} if hasattr(table, "page") else set()
    table.allocation = selectors.fulfilment_view(merchant=merchant, order_ids=page_ids)
    return render(request, "orders/list.html", {"filter": filterset, "table": table})


@require_role(Role.VIEWER)
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    merchant = current_merchant(request)
    order = get_scoped_or_404(
        Order.objects.select_related("connection", "dispatched_by"), request, pk=order_id
    )
    lines = order.lines.select_related("item", "reservation").order_by("pk")
    allocation = selectors.fulfilment_view(merchant=merchant, order_ids={order.pk}).get(order.pk)
    return render(request, "orders/detail.html", {"order": order, "lines": lines, "allocation": allocation})


@require_POST
@require_role(Role.STAFF)
def order_dispatch(request: HttpRequest, order_id: int) -> HttpResponse:
    order = get_scoped_or_404(Order.objects.all(), request, pk=order_id)
    count = order_mark_dispatched(order=order, user=request.user)
    messages.success(request, f"Order {order} marked dispatched: {count} line(s) no longer reserve stock.")
    return redirect("order-detail", order_id=order.pk)
