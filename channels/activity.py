"""Writing the activity log: one row per thing the hub did, errors with the raw platform answer."""

from __future__ import annotations

import logging
from typing import Any

from channels.models import Activity, Connection, Outcome, WebhookEvent

logger = logging.getLogger(__name__)


def activity_record(
    *,
    merchant_id: int,
    kind: str,
    summary: str,
    outcome: str = Outcome.OK,
    connection: Connection | None = None,
    details: dict[str, Any] | None = None,
    payload: str = "",
    webhook_event: WebhookEvent | None = None,
) -> Activity:
    level = logging.ERROR if outcome == Outcome.ERROR else logging.INFO
    logger.log(level, summary, extra={"merchant": merchant_id, "kind": kind, "outcome": outcome})
    return Activity.objects.create(
        merchant_id=merchant_id,
        connection=connection,
        kind=kind,
        outcome=outcome,
        summary=summary[:300],
        details=details or {},
        payload=payload[:200_000],
        webhook_event=webhook_event,
    )
