"""RQ entry points of the core domain."""

from __future__ import annotations

from channels.activity import activity_record
from channels.models import ActivityKind, Outcome
from inventory_sync.models import Merchant
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
