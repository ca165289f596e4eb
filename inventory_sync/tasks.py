"""RQ entry points of the core domain: a few lines each, ids in, a service does the work."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from channels.activity import activity_record
from channels.adapters.base import ChannelError, TransientChannelError
from channels.models import Activity, ActivityKind, Connection, EventStatus, Outcome, PushRound, WebhookEvent
from inventory_sync.leases import exclusive
from inventory_sync.models import Merchant, Posting, PostingStatus
from inventory_sync.queueing import claim_run
from inventory_sync.services import postings
from inventory_sync.services.stock import check_counters

logger = logging.getLogger(__name__)


def nightly_counter_check() -> int:
    """Recompute every item's counters from the ledger; any difference is an error to look at."""
    total = 0
    for merchant in Merchant.objects.all():
        differences = check_counters(merchant=merchant)
        total += len(differences)
        if differences:
            activity_record(
                merchant_id=merchant.pk,
                kind=ActivityKind.MASTER_REFRESH,
                outcome=Outcome.ERROR,
                summary=f"{len(differences)} stock counter(s) differ from the ledger",
                payload="\n".join(str(d) for d in differences),
            )
    return total


def run_posting(posting_id: int) -> str:
    claim_run(f"posting:{posting_id}")
    with exclusive(f"posting:{posting_id}", ttl=300) as held:
        if held is None:
            return "running elsewhere"
        return postings.run_posting(posting_id).status


def postings_for_connection(connection_id: int) -> int:
    """Read new payouts (or find newly fulfilled orders) and post whatever is pending or held.

    Each posting runs under its own lease (a staff retry of the same posting waits its turn). A
    transient failure (QuickBooks or the channel unreachable) ends this run: the rest wait for the
    next one rather than hammering a platform that is down. Returns the postings attempted."""
    claim_run(f"postings:{connection_id}")
    with exclusive(f"postings:{connection_id}", ttl=600) as held:
        if held is None:
            return 0
        connection = Connection.objects.get(pk=connection_id)
        try:
            postings.sync_payouts(connection=connection)
        except ChannelError as exc:
            # Postings already known can still go out; the payouts are read again next run.
            logger.warning("could not read payouts", extra={"connection": connection_id, "error": str(exc)})
            activity_record(
                merchant_id=connection.merchant_id,
                connection=connection,
                kind=ActivityKind.POSTING,
                outcome=Outcome.ERROR,
                summary=f"Could not read the payouts of {connection.name}: {exc}"[:300],
                payload=exc.raw or "",
            )
        postings.per_order_postings_due(connection=connection)
        pending = Posting.objects.filter(
            connection=connection, status__in=[PostingStatus.PENDING, PostingStatus.HELD]
        )
        count = 0
        for posting_id in pending.order_by("pk").values_list("pk", flat=True):
            with exclusive(f"posting:{posting_id}", ttl=300) as one:
                if one is None:
                    continue  # a staff retry is running it
                count += 1
                try:
                    postings.run_posting(posting_id)
                except TransientChannelError:
                    logger.warning("posting interrupted", extra={"posting": posting_id}, exc_info=True)
                    break
        Connection.objects.filter(pk=connection_id).update(last_postings_at=timezone.now())
        return count


def nightly_housekeeping() -> dict[str, int]:
    """Drop what only matters for a while: processed webhook bodies after 30 days, push rounds
    after 7, activity after 90 (failed events and unresolved errors are kept)."""
    now = timezone.now()
    return {
        "webhook_events": WebhookEvent.objects.filter(
            status=EventStatus.DONE, received_at__lt=now - timedelta(days=30)
        ).delete()[0],
        "push_rounds": PushRound.objects.filter(read_at__lt=now - timedelta(days=7)).delete()[0],
        "activity": Activity.objects.filter(created_at__lt=now - timedelta(days=90))
        .exclude(outcome=Outcome.ERROR, resolved_at__isnull=True)
        .delete()[0],
    }
