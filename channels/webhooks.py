"""Webhooks in: verify, store raw in the inbox, answer fast; process on a worker.

The view does the least that is safe: check the signature (constant time, in the adapter),
insert the raw delivery with its unique key (a duplicate is acknowledged and dropped), and ask
for an inbox run after commit. If Redis is down the delivery is still stored and acknowledged;
the sweeper runs it later. Processing dispatches each parsed event by kind and is idempotent:
orders by (connection, external id) and line, master reads by version, listings by id.
"""

from __future__ import annotations

import contextlib
import logging
import time
import traceback

from django.db import IntegrityError, transaction
from django.db import connection as db_connection
from django.db.models import F
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from channels.activity import activity_record
from channels.adapters.base import (
    Adapter,
    ChannelAdapter,
    ChannelEvent,
    EventKind,
    ExternalOrder,
    InvalidWebhook,
    MasterAdapter,
    NotSupported,
    PermanentChannelError,
    TransientChannelError,
)
from channels.connections import adapter_for
from channels.listings import listings_upsert
from channels.master import refresh_master_items
from channels.models import (
    ActivityKind,
    Connection,
    ConnectionStatus,
    EventStatus,
    Listing,
    Outcome,
    WebhookEvent,
)
from inventory_sync.leases import exclusive
from inventory_sync.queueing import claim_run, jobs_waiting, request_run
from inventory_sync.services.orders import (
    OrderRejected,
    order_apply_snapshot,
    order_apply_snapshots,
    order_cancel_deleted,
    validate_snapshot,
)
from inventory_sync.tenancy import public

logger = logging.getLogger(__name__)

INBOX_TASK = "channels.tasks.process_inbox"
INBOX_BATCH = 200
MAX_BATCHES = 100
MAX_RUNS = 3
INBOX_RUN_SECONDS = 1.0
KEPT_HEADER_PREFIXES = ("x-shopify-", "x-wc-", "intuit-", "content-type", "user-agent")


def inbox_key(connection_id: int) -> str:
    return f"inbox:{connection_id}"


def request_inbox_run(connection_id: int) -> None:
    request_run(INBOX_TASK, connection_id, queue="webhooks", key=inbox_key(connection_id))


def _kept_headers(request: HttpRequest) -> dict[str, str]:
    return {
        name.lower(): value
        for name, value in request.headers.items()
        if name.lower().startswith(KEPT_HEADER_PREFIXES)
    }


# A burst brings hundreds of deliveries a second for the same few connections: their row and
# adapter (secrets decrypted) are kept for a few seconds per process. Saving a connection drops
# it here at once; other processes see a changed secret within the TTL.
_ADAPTERS: dict[str, tuple[float, Connection, Adapter]] = {}
ADAPTER_TTL = 10.0


@receiver(post_save, sender=Connection, dispatch_uid="channels.webhooks.forget_adapter")
def _forget_adapter(instance: Connection, **_: object) -> None:
    _ADAPTERS.pop(str(instance.uuid), None)


def _connection_and_adapter(connection_uuid: str, platform: str) -> tuple[Connection, Adapter] | None:
    key = str(connection_uuid)
    cached = _ADAPTERS.get(key)
    if cached is not None and cached[0] > time.monotonic():
        connection, adapter = cached[1], cached[2]
    else:
        found = Connection.objects.filter(uuid=key).first()
        if found is None:
            return None
        connection, adapter = found, adapter_for(found)
        _ADAPTERS[key] = (time.monotonic() + ADAPTER_TTL, connection, adapter)
    if connection.kind != platform or connection.status == ConnectionStatus.DISCONNECTED:
        return None
    return connection, adapter


@public
@csrf_exempt
@require_POST
def receive(request: HttpRequest, platform: str, connection_uuid: str) -> HttpResponse:
    found = _connection_and_adapter(connection_uuid, platform)
    if found is None:
        return JsonResponse({"error": "unknown webhook address"}, status=404)
    connection, adapter = found
    headers = _kept_headers(request)
    body = request.body
    try:
        delivery = adapter.verify_webhook(headers, body)
    except InvalidWebhook as exc:
        logger.warning(
            "rejected a webhook: %s",
            exc,
            extra={"connection": connection.pk, "remote": request.META.get("REMOTE_ADDR")},
        )
        return JsonResponse({"error": "invalid signature"}, status=401)
    if delivery.topic == "ping":
        # A platform checking the address (WooCommerce's creation ping is unsigned): nothing
        # to process, so nothing is stored.
        return JsonResponse({"ok": True, "ping": True})
    # One INSERT in autocommit: stored (and so safe) before the answer goes out. Inside an outer
    # transaction (tests), a savepoint keeps a duplicate from breaking it.
    guard = transaction.atomic() if db_connection.in_atomic_block else contextlib.nullcontext()
    try:
        with guard:
            WebhookEvent.objects.create(
                merchant_id=connection.merchant_id,
                connection_id=connection.pk,
                delivery_key=delivery.delivery_key[:200],
                topic=delivery.topic[:120],
                headers=headers,
                body=body.decode("utf-8", errors="replace"),
            )
    except IntegrityError:
        return JsonResponse({"ok": True, "duplicate": True})
    request_inbox_run(connection.pk)
    return JsonResponse({"ok": True})


# ------------------------------------------------------------------------------------------
# Processing


def process_inbox(connection_id: int) -> int:
    """Process the connection's pending deliveries, oldest first. Returns how many were done."""
    claim_run(inbox_key(connection_id))
    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None:
        return 0
    adapter = adapter_for(connection)
    pending = WebhookEvent.objects.filter(connection=connection, status=EventStatus.PENDING)
    done = 0
    started = time.monotonic()
    for _ in range(MAX_RUNS):
        with exclusive(inbox_key(connection_id), ttl=60) as held:
            if held is None:
                return done  # the holder looks again after letting go
            for _ in range(MAX_BATCHES):
                events = list(pending.order_by("id")[:INBOX_BATCH])
                if not events:
                    break
                done += process_batch(connection, adapter, events)
                held.refresh()
                if time.monotonic() - started > INBOX_RUN_SECONDS or _others_waiting():
                    # Give the worker back (other work waits for one) and queue the rest as a new run.
                    if pending.exists():
                        request_inbox_run(connection_id)
                    return done
        if not pending.exists():
            break
    return done


def _others_waiting() -> bool:
    """A push, or another run on the webhooks queue (another connection's inbox, a push run's
    continuation), waits for a worker. Workers take the push queue first, so an inbox run that
    lets go between batches gets the sales it just reserved to the other channels without
    waiting for the rest of a burst to be read in; and two connections' inboxes and pushes take
    turns instead of one holding a worker for a whole run."""
    return jobs_waiting("push", "webhooks")


def process_batch(connection: Connection, adapter: Adapter, events: list[WebhookEvent]) -> int:
    """Process a batch of deliveries. Those that are only order snapshots (most of a burst) are
    applied together in one transaction; the rest, and any batch that fails as a whole, go one
    by one, so a bad delivery fails alone and the rest of the queue goes on."""
    snapshots: list[tuple[WebhookEvent, ExternalOrder]] = []
    singles: list[WebhookEvent] = []
    for event in events:
        try:
            parsed = adapter.parse_webhook(event.headers, event.body.encode("utf-8"))
        except Exception:
            singles.append(event)  # fails again, alone, with its error recorded
            continue
        if len(parsed) == 1 and parsed[0].kind == EventKind.ORDER and parsed[0].order is not None:
            try:
                validate_snapshot(connection=connection, snapshot=parsed[0].order)
            except OrderRejected:
                singles.append(event)
                continue
            snapshots.append((event, parsed[0].order))
        else:
            singles.append(event)
    if snapshots:
        ids = [event.pk for event, _ in snapshots]
        try:
            with transaction.atomic():
                order_apply_snapshots(
                    connection=connection,
                    snapshots=[snapshot for _, snapshot in snapshots],
                    source=f"webhooks of {connection.name}",
                )
                WebhookEvent.objects.filter(pk__in=ids).update(
                    status=EventStatus.DONE, processed_at=timezone.now(), error="", attempts=F("attempts") + 1
                )
        except TransientChannelError:
            raise
        except Exception:
            logger.warning("a batch of %d order events failed; going one by one", len(ids), exc_info=True)
            singles = [event for event, _ in snapshots] + singles
    for event in sorted(singles, key=lambda e: e.pk):
        process_event(connection, adapter, event)
    return len(events)


def process_event(connection: Connection, adapter: Adapter, event: WebhookEvent) -> None:
    """Run one stored delivery. Permanent problems mark it failed with a clear error and the
    raw body kept; transient ones leave it pending and raise, so the job retries with backoff."""
    WebhookEvent.objects.filter(pk=event.pk).update(attempts=event.attempts + 1)
    try:
        events = adapter.parse_webhook(event.headers, event.body.encode("utf-8"))
        for parsed in events:
            _handle(connection, adapter, parsed, source=f"webhook {event.topic} {event.delivery_key}")
    except TransientChannelError:
        raise
    except (PermanentChannelError, OrderRejected) as exc:
        _fail(connection, event, str(exc), getattr(exc, "raw", None))
        return
    except Exception as exc:
        # A bug must not block the queue behind it: keep the event, say what broke, go on.
        logger.exception("webhook processing crashed", extra={"event": event.pk})
        _fail(connection, event, f"{type(exc).__name__}: {exc}", traceback.format_exc(limit=8))
        return
    WebhookEvent.objects.filter(pk=event.pk).update(
        status=EventStatus.DONE, processed_at=timezone.now(), error=""
    )


def _fail(connection: Connection, event: WebhookEvent, message: str, raw: str | None) -> None:
    WebhookEvent.objects.filter(pk=event.pk).update(
        status=EventStatus.FAILED, error=message, processed_at=timezone.now()
    )
    activity_record(
        merchant_id=connection.merchant_id,
        connection=connection,
        kind=ActivityKind.WEBHOOK,
        outcome=Outcome.ERROR,
        summary=f"{event.topic} from {connection.name} not processed: {message}",
        payload=raw or event.body,
        webhook_event=event,
    )


def retry_event(event: WebhookEvent) -> None:
    """Staff asked to try a failed delivery again."""
    WebhookEvent.objects.filter(pk=event.pk, status=EventStatus.FAILED).update(
        status=EventStatus.PENDING, error=""
    )
    request_inbox_run(event.connection_id)


def _handle(connection: Connection, adapter: Adapter, event: ChannelEvent, *, source: str) -> None:
    if event.kind == EventKind.PING:
        return
    if event.kind == EventKind.ORDER and event.order is not None:
        order_apply_snapshot(connection=connection, snapshot=event.order, source=source)
    elif event.kind == EventKind.ORDER_REFRESH:
        assert isinstance(adapter, ChannelAdapter)
        order_apply_snapshot(
            connection=connection, snapshot=adapter.fetch_order(event.external_id), source=source
        )
    elif event.kind == EventKind.ORDER_DELETED:
        order_cancel_deleted(connection=connection, external_id=event.external_id, source=source)
    elif event.kind == EventKind.INVENTORY_LEVEL:
        _note_channel_quantity(connection, event)
    elif event.kind == EventKind.LISTING:
        listings_upsert(connection=connection, externals=event.listings)
    elif event.kind == EventKind.MASTER_CHANGE:
        assert isinstance(adapter, MasterAdapter)
        if event.entity == "Item":
            ids = frozenset({event.external_id})
        else:
            try:
                ids = adapter.items_on_transaction(event.entity, event.external_id)
            except NotSupported:
                ids = frozenset()
        if ids:
            refresh_master_items(
                connection=connection, adapter=adapter, external_ids=sorted(ids), source=source
            )
    else:
        raise PermanentChannelError(f"unknown event kind {event.kind!r} (topic {event.topic})")


def _note_channel_quantity(connection: Connection, event: ChannelEvent) -> None:
    """The channel's own quantity changed (its sale, a restock, a manual edit). Remember it as
    the channel's current quantity unless a newer observation is already stored; no push is
    forced (the order webhook of the same sale moves availability), and a difference from what
    the hub wrote shows up as drift at the next compare-and-set or reconcile."""
    if event.quantity is None or not event.inventory_item_id:
        return
    listings = Listing.objects.filter(connection=connection, inventory_item_id=event.inventory_item_id)
    if event.location_id:
        listings = listings.filter(location_id__in=[event.location_id, ""])
    when = event.occurred_at or timezone.now()
    listings.exclude(last_seen_at__gt=when).update(last_seen_qty=event.quantity, last_seen_at=when)
