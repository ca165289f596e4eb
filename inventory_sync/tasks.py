"""RQ entry points of the core domain: a few lines each, ids in, a service does the work."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from channels.activity import activity_record
from channels.models import Activity, ActivityKind, Connection, EventStatus, Outcome, PushRound, WebhookEvent
from inventory_sync.leases import exclusive
from inventory_sync.models import Merchant, Posting, PostingStatus
from inventory_sync.queueing import claim_run
from inventory_sync.services import postings
from inventory_sync.services.stock import check_counters


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
    """Read new payouts (or find newly fulfilled orders) and post whatever is pending."""
    claim_run(f"postings:{connection_id}")
    with exclusive(f"postings:{connection_id}", ttl=600) as held:
        if held is None:
            return 0
        connection = Connection.objects.get(pk=connection_id)
        postings.sync_payouts(connection=connection)
        postings.per_order_postings_due(connection=connection)
        pending = Posting.objects.filter(
            connection=connection, status__in=[PostingStatus.PENDING, PostingStatus.HELD]
        )
        count = 0
        for posting_id in pending.order_by("pk").values_list("pk", flat=True):
            postings.run_posting(posting_id)
            count += 1
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
