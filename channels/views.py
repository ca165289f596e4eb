"""Connections, activity and imports pages."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from channels.filters import ActivityFilter
from channels.models import Activity, EventStatus, Outcome
from channels.tables import ActivityTable
from channels.webhooks import retry_event
from inventory_sync.models import Role
from inventory_sync.tenancy import current_merchant, get_scoped_or_404, require_role


@require_role(Role.VIEWER)
def activity(request: HttpRequest) -> HttpResponse:
    merchant = current_merchant(request)
    filterset = ActivityFilter(
        request.GET,
        queryset=Activity.objects.for_merchant(merchant).select_related("connection"),
        merchant=merchant,
    )
    table = ActivityTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return render(request, "channels/activity.html", {"filter": filterset, "table": table})


@require_role(Role.VIEWER)
def activity_detail(request: HttpRequest, activity_id: int) -> HttpResponse:
    entry = get_scoped_or_404(
        Activity.objects.select_related("connection", "webhook_event"), request, pk=activity_id
    )
    retryable = (
        entry.outcome == Outcome.ERROR
        and entry.resolved_at is None
        and entry.webhook_event is not None
        and entry.webhook_event.status == EventStatus.FAILED
    )
    return render(request, "channels/activity_detail.html", {"entry": entry, "retryable": retryable})


@require_POST
@require_role(Role.STAFF)
def activity_retry(request: HttpRequest, activity_id: int) -> HttpResponse:
    entry = get_scoped_or_404(Activity.objects.select_related("webhook_event"), request, pk=activity_id)
    if entry.webhook_event is None or entry.webhook_event.status != EventStatus.FAILED:
        messages.error(request, "There is nothing to retry for this entry.")
        return redirect("activity-detail", activity_id=entry.pk)
    retry_event(entry.webhook_event)
    Activity.objects.filter(pk=entry.pk).update(resolved_at=timezone.now())
    messages.success(request, "Queued again. A new entry appears here if it fails again.")
    return redirect("activity-detail", activity_id=entry.pk)
