"""Connections, activity and imports pages."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from channels.activity import activity_record
from channels.adapters.base import ChannelError
from channels.connections import adapter_for, channel_adapter, master_adapter, store_tokens
from channels.filters import ActivityFilter, ListingFilter
from channels.forms import (
    ConnectionSettingsForm,
    CreateItemsForm,
    ImportForm,
    NewChannelForm,
    QuickBooksConnectForm,
)
from channels.imports import import_start
from channels.models import (
    Activity,
    ActivityKind,
    Connection,
    ConnectionKind,
    ConnectionRole,
    ConnectionStatus,
    EventStatus,
    ImportKind,
    ImportRun,
    Listing,
    Outcome,
)
from channels.preview import preview_sync
from channels.push import mark_connection_dirty
from channels.tables import ActivityTable, ListingTable
from channels.webhooks import retry_event
from inventory_sync.models import Role
from inventory_sync.queueing import request_run
from inventory_sync.tables import page_size
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
    RequestConfig(request, paginate={"per_page": page_size(request)}).configure(table)
    return render(request, "channels/activity.html", {"filter": filterset, "table": table})


@require_role(Role.VIEWER)
def listings(request: HttpRequest) -> HttpResponse:
    """Every channel listing with what the hub pushed and what the channel shows; the overview's
    drift figure lands here filtered to the drifted ones."""
    merchant = current_merchant(request)
    filterset = ListingFilter(
        request.GET,
        queryset=Listing.objects.for_merchant(merchant).select_related("connection", "item"),
        merchant=merchant,
    )
    table = ListingTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": page_size(request)}).configure(table)
    return render(request, "channels/listings.html", {"filter": filterset, "table": table})


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


# ------------------------------------------------------------------------------------------
# Connections


def webhook_url(connection: Connection) -> str:
    path = reverse("webhook", kwargs={"platform": connection.kind, "connection_uuid": connection.uuid})
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


@require_role(Role.VIEWER)
def connections(request: HttpRequest) -> HttpResponse:
    merchant = current_merchant(request)
    rows = Connection.objects.for_merchant(merchant).order_by("role", "name")
    return render(request, "channels/connections.html", {"connections": rows})


@require_role(Role.VIEWER)
def connection_detail(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = get_scoped_or_404(Connection.objects.all(), request, pk=connection_id)
    membership = request.membership  # type: ignore[attr-defined]
    form = ConnectionSettingsForm(instance=connection)
    if request.method == "POST":
        if not membership.allows(Role.ADMIN):
            raise PermissionDenied("changing settings needs the admin role")
        form = ConnectionSettingsForm(request.POST, instance=connection)
        if form.is_valid():
            form.save()
            messages.success(request, "Settings saved.")
            if connection.sync_inventory:
                mark_connection_dirty(connection)  # rules may have changed every quantity
            return redirect("connection-detail", connection_id=connection.pk)
    listings = connection.listings.aggregate(
        total=Count("pk"),
        matched=Count("pk", filter=Q(item__isnull=False)),
        drift=Count("pk", filter=Q(last_push_outcome="drift")),
        pending=Count("pk", filter=Q(push_pending=True)),
    )
    return render(
        request,
        "channels/connection_detail.html",
        {
            "connection": connection,
            "form": form,
            "webhook_url": webhook_url(connection),
            "listings": listings,
            "recent": Activity.objects.filter(connection=connection).order_by("-id")[:10],
        },
    )


@require_POST
@require_role(Role.ADMIN)
def connection_test(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = get_scoped_or_404(Connection.objects.all(), request, pk=connection_id)
    try:
        description = adapter_for(connection).check_connection()
    except ChannelError as exc:
        messages.error(request, f"The connection failed: {exc}")
        Connection.objects.filter(pk=connection.pk).update(last_error=str(exc), last_error_at=timezone.now())
    else:
        messages.success(request, f"Connected: {description}.")
        if connection.status == ConnectionStatus.NEEDS_ATTENTION:
            Connection.objects.filter(pk=connection.pk).update(status=ConnectionStatus.ACTIVE)
    return redirect("connection-detail", connection_id=connection.pk)


@require_POST
@require_role(Role.ADMIN)
def connection_webhooks(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = get_scoped_or_404(Connection.objects.all(), request, pk=connection_id)
    try:
        ids = channel_adapter(connection).register_webhooks(webhook_url(connection))
    except (ChannelError, AssertionError) as exc:
        messages.error(request, f"Could not register the webhooks: {exc}")
    else:
        messages.success(
            request, f"Webhooks registered ({len(ids)} subscription(s)) at {webhook_url(connection)}."
        )
    return redirect("connection-detail", connection_id=connection.pk)


@require_POST
@require_role(Role.STAFF)
def connection_sync_now(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = get_scoped_or_404(Connection.objects.all(), request, pk=connection_id)
    asked = sync_now(connection)
    messages.success(request, f"Asked {connection.name} for: {', '.join(asked)}.")
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("connection-detail", connection_id=connection.pk)


@require_role(Role.ADMIN)
def connection_sync_on(request: HttpRequest, connection_id: int) -> HttpResponse:
    """GET: what the first sync will overwrite. POST (confirmed): turn sync on and push."""
    connection = get_scoped_or_404(Connection.objects.all(), request, pk=connection_id)
    if connection.is_master:
        raise Http404("the master is not pushed to")
    if request.method == "POST":
        Connection.objects.filter(pk=connection.pk).update(sync_inventory=True)
        connection.sync_inventory = True
        count = mark_connection_dirty(connection)
        activity_record(
            merchant_id=connection.merchant_id,
            connection=connection,
            kind=ActivityKind.CONNECTION,
            summary=f"Sync turned on for {connection.name} by {request.user}; {count} listing(s) to push",
        )
        messages.success(
            request, f"Inventory sync is on: pushing {count} listing(s) to {connection.name} now."
        )
        return redirect("connection-detail", connection_id=connection.pk)
    try:
        preview = preview_sync(connection=connection)
    except ChannelError as exc:
        messages.error(request, f"Could not read {connection.name}'s quantities for the preview: {exc}")
        return redirect("connection-detail", connection_id=connection.pk)
    return render(request, "channels/sync_preview.html", {"connection": connection, "preview": preview})


@require_POST
@require_role(Role.ADMIN)
def connection_sync_off(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = get_scoped_or_404(Connection.objects.all(), request, pk=connection_id)
    Connection.objects.filter(pk=connection.pk).update(sync_inventory=False)
    messages.success(
        request, f"Inventory sync is off for {connection.name}: its quantities are no longer written."
    )
    return redirect("connection-detail", connection_id=connection.pk)


@require_POST
@require_role(Role.ADMIN)
def connection_disconnect(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = get_scoped_or_404(Connection.objects.all(), request, pk=connection_id)
    if connection.kind == ConnectionKind.QUICKBOOKS and connection.credentials.get("refresh_token"):
        from channels.adapters.quickbooks import oauth

        try:
            oauth.revoke(connection.credentials, connection.credentials["refresh_token"])
        except ChannelError as exc:
            messages.warning(
                request, f"QuickBooks did not confirm the revocation ({exc}); the tokens are deleted here."
            )
    connection.status = ConnectionStatus.DISCONNECTED
    connection.sync_inventory = False
    connection.credentials = {}
    connection.save(update_fields=["status", "sync_inventory", "credentials", "updated_at"])
    messages.success(request, f"{connection.name} is disconnected; its history is kept.")
    return redirect("connections")


@require_role(Role.ADMIN)
def connection_new(request: HttpRequest) -> HttpResponse:
    merchant = current_merchant(request)
    form = NewChannelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        shopify = data["kind"] == ConnectionKind.SHOPIFY
        credentials = (
            {"access_token": data["access_token"]}
            if shopify
            else {"consumer_key": data["consumer_key"], "consumer_secret": data["consumer_secret"]}
        )
        connection = Connection.objects.create(
            merchant=merchant,
            kind=data["kind"],
            role=ConnectionRole.CHANNEL,
            name=data["name"],
            base_url=data["base_url"].rstrip("/"),
            external_account_id=data["base_url"].split("//")[-1].strip("/"),
            credentials=credentials,
            webhook_secret=data["webhook_secret"] or secrets.token_urlsafe(32),
            status=ConnectionStatus.ACTIVE,
        )
        messages.success(
            request, f"{connection.name} added. Test it, register its webhooks, then import its listings."
        )
        return redirect("connection-detail", connection_id=connection.pk)
    return render(request, "channels/connection_new.html", {"form": form})


@require_role(Role.ADMIN)
def quickbooks_connect(request: HttpRequest) -> HttpResponse:
    """Start the OAuth 2.0 flow: remember a state, send the admin to Intuit to approve."""
    from channels.adapters.quickbooks import oauth

    merchant = current_merchant(request)
    form = QuickBooksConnectForm(
        request.POST or None,
        initial={
            "client_id": settings.QUICKBOOKS_CLIENT_ID,
            "client_secret": settings.QUICKBOOKS_CLIENT_SECRET,
            "environment": settings.QUICKBOOKS_ENVIRONMENT,
            "webhook_verifier": settings.QUICKBOOKS_WEBHOOK_VERIFIER,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        credentials = {
            "client_id": data["client_id"],
            "client_secret": data["client_secret"],
            "environment": data["environment"],
            "redirect_uri": request.build_absolute_uri(reverse("quickbooks-callback")),
        }
        state = secrets.token_urlsafe(24)
        connection = Connection.objects.create(
            merchant=merchant,
            kind=ConnectionKind.QUICKBOOKS,
            role=ConnectionRole.MASTER,
            name=data["name"],
            base_url=oauth.api_base_for(data["environment"]),
            credentials={**credentials, "oauth_state": state},
            webhook_secret=data["webhook_verifier"],
            status=ConnectionStatus.PENDING,
        )
        request.session[OAUTH_SESSION_KEY] = {"state": state, "connection": connection.pk}
        try:
            return redirect(oauth.authorization_url(credentials, state))
        except ChannelError as exc:
            messages.error(request, f"Could not reach Intuit's discovery document: {exc}")
    return render(request, "channels/quickbooks_connect.html", {"form": form})


OAUTH_SESSION_KEY = "quickbooks_oauth"


@require_role(Role.ADMIN)
def quickbooks_callback(request: HttpRequest) -> HttpResponse:
    """Intuit sends the admin back with code, state and realmId: the state must be the one this
    session started, and the connection this merchant's."""
    from channels.adapters.quickbooks import oauth

    started = request.session.pop(OAUTH_SESSION_KEY, None) or {}
    state = request.GET.get("state", "")
    if not started or not state or not secrets.compare_digest(str(started.get("state", "")), state):
        messages.error(request, "That authorisation did not start here (state mismatch); connect again.")
        return redirect("connections")
    connection = get_scoped_or_404(Connection.objects.all(), request, pk=started.get("connection"))
    if request.GET.get("error"):
        messages.error(request, f"QuickBooks was not connected: {request.GET['error']}.")
        return redirect("connections")
    code, realm_id = request.GET.get("code", ""), request.GET.get("realmId", "")
    try:
        tokens = oauth.exchange_code(connection.credentials, code, realm_id)
    except ChannelError as exc:
        messages.error(request, f"QuickBooks refused the authorisation: {exc}")
        return redirect("connections")
    credentials = {k: v for k, v in connection.credentials.items() if k != "oauth_state"}
    connection.credentials = store_tokens(credentials, tokens)
    connection.external_account_id = realm_id
    connection.status = ConnectionStatus.ACTIVE
    connection.save(update_fields=["credentials", "external_account_id", "status", "updated_at"])
    messages.success(
        request, f"QuickBooks company {realm_id} connected. Import its items and customers next."
    )
    return redirect("connection-detail", connection_id=connection.pk)


def sync_now(connection: Connection) -> list[str]:
    """Ask for every run the connection has, now."""
    asked = []
    if connection.is_master:
        request_run("channels.tasks.master_cdc", connection.pk, queue="sync", key=f"cdc:{connection.pk}")
        asked.append("changes from the master")
    else:
        request_run(
            "channels.tasks.catch_up_orders", connection.pk, queue="sync", key=f"catchup:{connection.pk}"
        )
        asked.append("orders catch-up")
        if connection.sync_inventory:
            mark_connection_dirty(connection)
            request_run(
                "channels.tasks.reconcile", connection.pk, queue="sync", key=f"reconcile:{connection.pk}"
            )
            asked += ["push", "reconcile"]
        if connection.posting_mode != "none":
            request_run(
                "inventory_sync.tasks.postings_for_connection",
                connection.pk,
                queue="postings",
                key=f"postings:{connection.pk}",
            )
            asked.append("postings")
    return asked


# ------------------------------------------------------------------------------------------
# Imports


@require_role(Role.ADMIN)
def imports(request: HttpRequest) -> HttpResponse:
    merchant = current_merchant(request)
    form = ImportForm(request.POST or None, merchant=merchant)
    if request.method == "POST" and form.is_valid():
        run = import_start(
            connection=form.cleaned_data["connection"], kind=form.cleaned_data["kind"], user=request.user
        )
        return redirect("import-detail", run_id=run.pk)
    runs = (
        ImportRun.objects.for_merchant(merchant)
        .select_related("connection", "started_by")
        .order_by("-id")[:50]
    )
    return render(request, "channels/imports.html", {"form": form, "runs": runs})


@require_role(Role.ADMIN)
def import_create_items(request: HttpRequest) -> HttpResponse:
    merchant = current_merchant(request)
    master = (
        Connection.objects.for_merchant(merchant)
        .filter(role=ConnectionRole.MASTER, status=ConnectionStatus.ACTIVE)
        .first()
    )
    if master is None:
        messages.error(request, "Connect QuickBooks first: missing items are created there.")
        return redirect("imports")
    try:
        accounts = master_adapter(master).fetch_accounts()
    except ChannelError as exc:
        messages.error(request, f"Could not read the master's accounts: {exc}")
        return redirect("imports")
    form = CreateItemsForm(request.POST or None, merchant=merchant, accounts=accounts)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        run = import_start(
            connection=data["connection"],
            kind=ImportKind.CREATE_MASTER_ITEMS,
            user=request.user,
            options={k: data[k] for k in ("income_account_id", "expense_account_id", "asset_account_id")},
        )
        return redirect("import-detail", run_id=run.pk)
    return render(request, "channels/import_create_items.html", {"form": form})


@require_role(Role.ADMIN)
def import_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_scoped_or_404(ImportRun.objects.select_related("connection", "started_by"), request, pk=run_id)
    template = (
        "channels/_import_progress.html" if getattr(request, "htmx", False) else "channels/import_detail.html"
    )
    return render(request, template, {"run": run})
