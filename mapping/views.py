"""The staging area and product matching pages."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from channels.models import Connection, ConnectionRole
from inventory_sync.models import Role
from inventory_sync.tables import page_size
from inventory_sync.tenancy import current_merchant, get_scoped_or_404, require_role
from mapping import selectors
from mapping.forms import MatchForm, parse_picks
from mapping.models import Matching
from mapping.services import (
    MatchingError,
    accept_exact_suggestions,
    add_matching,
    remove_matching,
    suggest_items,
)
from mapping.tables import MatchingTable, StagedCodeTable


@require_role(Role.VIEWER)
def staging(request: HttpRequest) -> HttpResponse:
    merchant = current_merchant(request)
    connection = request.GET.get("connection", "")
    connection_id = int(connection) if connection.isdigit() else None
    search = request.GET.get("q", "")
    rows = selectors.staged_codes(merchant=merchant, connection_id=connection_id, search=search)
    table = StagedCodeTable(rows)
    RequestConfig(request, paginate={"per_page": page_size(request)}).configure(table)
    channels = Connection.objects.for_merchant(merchant).filter(role=ConnectionRole.CHANNEL).order_by("name")
    totals = selectors.staged_totals(merchant=merchant, connection_id=connection_id, search=search)
    return render(request, "mapping/staging.html", {"table": table, "channels": channels, "totals": totals})


@require_role(Role.STAFF)
def match_selected(request: HttpRequest) -> HttpResponse:
    connection, codes, error = parse_picks(request.GET.getlist("pick"), current_merchant(request))
    if error:
        messages.error(request, error)
        return redirect("staging")
    assert connection is not None
    query = urlencode([("connection", connection.pk), *[("code", code) for code in codes]])
    return redirect(f"{reverse('match')}?{query}")


@require_role(Role.STAFF)
def match(request: HttpRequest) -> HttpResponse:
    merchant = current_merchant(request)
    form = MatchForm(request.POST if request.method == "POST" else request.GET, merchant=merchant)
    if not form.is_valid():
        messages.error(request, "Choose a channel and at least one product code from the staging area.")
        return redirect("staging")
    connection = form.cleaned_data["connection"]
    codes = form.chosen_codes()
    if not codes:
        messages.error(request, "Choose at least one product code.")
        return redirect("staging")
    if request.method == "POST":
        item = form.cleaned_data.get("item")
        if item is None:
            messages.error(request, "Choose the item these codes stand for.")
        else:
            try:
                outcome = add_matching(connection=connection, codes=codes, item=item, user=request.user)
            except MatchingError as exc:
                messages.error(request, str(exc))
            else:
                pushed = ", ".join(outcome.channels_to_push) or "no channel (sync is off)"
                messages.success(
                    request,
                    f"Matched {', '.join(outcome.codes)} to {item.sku or item.name}: "
                    f"{outcome.lines_moved} line(s) and {outcome.units_moved} unit(s) moved to live; "
                    f"pushing to {pushed}.",
                )
                return redirect(f"{reverse('staging')}?{urlencode({'connection': connection.pk})}")
    query = request.GET.get("q", "")
    waiting = selectors.waiting_for(connection=connection, codes=codes)
    context = {
        "connection": connection,
        "codes": codes,
        "code_rows": [
            (
                code,
                waiting.get(code, {}).get("example", code),
                waiting.get(code, {}).get("lines", 0),
                waiting.get(code, {}).get("units", 0),
            )
            for code in codes
        ],
        "suggestions": suggest_items(connection=connection, code=codes[0], limit=6),
        "query": query,
        "results": selectors.item_search(merchant=merchant, query=query),
    }
    partial = getattr(request, "htmx", False) and request.GET.get("partial")
    template = "mapping/_search_results.html" if partial else "mapping/match.html"
    return render(request, template, context)


@require_POST
@require_role(Role.STAFF)
def accept_exact(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = get_scoped_or_404(Connection.objects.all(), request, pk=connection_id)
    outcomes = accept_exact_suggestions(connection=connection, user=request.user)
    lines = sum(o.lines_moved for o in outcomes)
    messages.success(
        request,
        f"Accepted {len(outcomes)} exact suggestion(s) on {connection.name}: {lines} line(s) moved to live.",
    )
    return redirect(f"{reverse('staging')}?{urlencode({'connection': connection.pk})}")


@require_role(Role.VIEWER)
def matchings(request: HttpRequest) -> HttpResponse:
    merchant = current_merchant(request)
    membership = request.membership  # type: ignore[attr-defined]
    table = MatchingTable(
        selectors.matchings_for_list(merchant=merchant),
        can_staff=membership.allows(Role.STAFF),
        csrf_token=get_token(request),
    )
    RequestConfig(request, paginate={"per_page": page_size(request)}).configure(table)
    return render(request, "mapping/matchings.html", {"table": table})


@require_POST
@require_role(Role.STAFF)
def unmatch(request: HttpRequest, matching_id: int) -> HttpResponse:
    matching = get_scoped_or_404(Matching.objects.select_related("item"), request, pk=matching_id)
    lines = remove_matching(matching=matching, user=request.user)
    messages.success(
        request, f"Unmatched {matching.code} from {matching.item}: {lines} line(s) back in the staging area."
    )
    return redirect("matchings")
