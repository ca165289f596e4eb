"""Periodic jobs, on RQ's own cron. Production: `python manage.py rqcron inventory_sync.cron`
(one such process; the jobs are idempotent, so a second would only duplicate harmless runs).
The embedded mode runs the same schedule in a thread of `manage.py demo`."""

from rq import cron

from channels.tasks import tick
from inventory_sync.tasks import nightly_counter_check, nightly_housekeeping

# Asks for each connection's due runs (catch-up, reconcile, CDC) and sweeps lost wake-ups.
cron.register(tick, queue_name="sync", interval=30, job_timeout=120)
cron.register(nightly_counter_check, queue_name="default", cron="17 3 * * *", job_timeout=3600)
cron.register(nightly_housekeeping, queue_name="default", cron="43 3 * * *", job_timeout=3600)
