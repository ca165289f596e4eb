"""The one way the hub puts work on RQ queues, in both runtime modes.

- With REDIS_URL: django-rq queues on that Redis; `manage.py rqworker <queues>` processes on any
  number of machines take the jobs.
- Without it (the embedded default): the same RQ code runs on an in-memory Redis (fakeredis,
  with Lua for RQ's scripts) shared by the threads of this process, and `manage.py demo` starts
  worker threads and a scheduler thread beside the web server. Tests drain the queues
  synchronously with `run_queued_jobs()`.

Jobs take ids and primitives only. django-rq's COMMIT_MODE "on_db_commit" (settings.RQ) holds an
enqueue made inside a transaction until that transaction commits, so a worker never looks for a
row that is not there yet, and a rolled-back change enqueues nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

import django_rq
import fakeredis
from django.conf import settings
from django.db import close_old_connections, connections
from redis import Redis
from rq import Queue, SimpleWorker
from rq.cron import CronScheduler
from rq.exceptions import DuplicateJobError
from rq.executions import Execution
from rq.job import Job, Retry
from rq.registry import ScheduledJobRegistry
from rq.timeouts import TimerDeathPenalty

logger = logging.getLogger(__name__)


@cache
def _embedded_server() -> fakeredis.FakeServer:
    return fakeredis.FakeServer()


@cache
def _redis_from_url(url: str) -> Redis:
    return Redis.from_url(url, health_check_interval=30, socket_connect_timeout=5, socket_timeout=30)


def redis_connection() -> Redis:
    if settings.REDIS_URL:
        return _redis_from_url(settings.REDIS_URL)
    return fakeredis.FakeRedis(server=_embedded_server())


def is_embedded() -> bool:
    return not settings.REDIS_URL


def get_queue(name: str) -> Queue:
    return django_rq.get_queue(name, connection=redis_connection())


def jobs_waiting(*queue_names: str) -> bool:
    """Whether a job waits in any of these queues (False when Redis cannot be asked: callers use
    it to give a worker back sooner, never for correctness)."""
    try:
        return any(get_queue(name).count for name in queue_names)
    except Exception:
        return False


def enqueue(
    func: Callable[..., Any] | str,
    *args: Any,
    queue: str = "default",
    job_id: str | None = None,
    unique: bool = False,
    retries: int = 0,
    retry_intervals: Iterable[int] = (5, 30, 120),
    timeout: int | None = None,
    **kwargs: Any,
) -> None:
    """Enqueue `func(*args, **kwargs)` (after the current transaction commits).

    `unique` with a `job_id` refuses a second job with that id while the first exists;
    `retries` re-runs a failed job after the given intervals (transient errors only: jobs turn
    permanent errors into recorded outcomes instead of raising).
    """
    options: dict[str, Any] = {"job_id": job_id, "result_ttl": 0, "failure_ttl": 7 * 24 * 3600}
    if timeout is not None:
        options["job_timeout"] = timeout
    if unique:
        options["unique"] = True
    if retries:
        options["retry"] = Retry(max=retries, interval=list(retry_intervals))
    try:
        get_queue(queue).enqueue(func, *args, **options, **kwargs)  # type: ignore[type-var]
    except DuplicateJobError:
        logger.debug("job %s already queued", job_id)


# ------------------------------------------------------------------------------------------
# In-process workers (embedded mode and tests)


class HubWorker(SimpleWorker):
    """The production worker class (`rqworker --worker-class inventory_sync.queueing.HubWorker`):
    runs jobs in its own process without forking one per job (forking a Django process for every
    small job costs more than the job), and drops database connections that went bad or aged
    between jobs, as Django does between requests."""

    def work(self, *args: Any, **kwargs: Any) -> bool:
        from channels.adapters.base import load_platforms

        load_platforms()  # before taking jobs, so the first ones are not slowed by imports
        # The master may have changed while no worker ran: read its changes first thing
        # (not for the burst runs tests and commands use to drain the queues).
        if not kwargs.get("burst"):
            try:
                from channels.sync import request_master_refresh

                request_master_refresh()
            except Exception:
                logger.warning("could not ask for the master's changes at worker start", exc_info=True)
        return super().work(*args, **kwargs)

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        close_old_connections()
        try:
            return super().perform_job(job, queue, execution)
        finally:
            close_old_connections()


class ThreadWorker(HubWorker):
    """An RQ worker that runs in a thread: no signal handlers (those belong to the main thread)
    and timer-based job timeouts instead of SIGALRM."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        pass

    def dequeue_job_and_maintain_ttl(self, timeout: int | None, max_idle_time: int | None = None) -> Any:
        """Wait for a job in one-second slices, so that `stop()` is noticed promptly."""
        if timeout is None:  # burst mode: one look
            return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
        while not self._stop_requested:
            result = super().dequeue_job_and_maintain_ttl(1, max_idle_time=1)
            if result is not None:
                return result
        return None

    def work(self, *args: Any, **kwargs: Any) -> bool:
        try:
            return super().work(*args, **kwargs)
        finally:
            connections.close_all()  # this thread's database connections end with it

    def stop(self) -> None:
        self._stop_requested = True


def _promote_scheduled(connection: Redis, queue_names: Iterable[str]) -> None:
    """Move jobs whose retry or scheduled time has come onto their queues (what RQ's scheduler
    process does; in embedded mode a thread does it)."""
    for name in queue_names:
        queue = Queue(name, connection=connection)
        registry = ScheduledJobRegistry(queue=queue)
        for job_id in registry.get_jobs_to_schedule(int(time.time())):
            job = Job.fetch(job_id, connection=connection)
            registry.remove(job)
            queue._enqueue_job(job)


def run_queued_jobs(queue_names: Iterable[str] | None = None, *, max_rounds: int = 50) -> int:
    """Run every queued job (and the jobs they enqueue) in this thread; returns the count.
    For tests and management commands in embedded mode."""
    names = list(queue_names or settings.QUEUE_NAMES)
    connection = redis_connection()
    total = 0
    for _ in range(max_rounds):
        _promote_scheduled(connection, names)
        worker = ThreadWorker([get_queue(n) for n in names], connection=connection)
        before = worker.successful_job_count + worker.failed_job_count
        worked = worker.work(burst=True, logging_level="WARNING")
        total += worker.successful_job_count + worker.failed_job_count - before
        if not worked:
            break
    return total


class ThreadCronScheduler(CronScheduler):
    """RQ's cron scheduler, runnable in a thread (no signal handlers)."""

    def _install_signal_handlers(self) -> None:
        pass


class EmbeddedWorkers:
    """Worker threads plus a scheduler thread for the embedded mode (`manage.py demo`)."""

    def __init__(
        self, count: int = 2, queue_names: Iterable[str] | None = None, *, with_cron: bool = True
    ) -> None:
        self.queue_names = list(queue_names or settings.QUEUE_NAMES)
        self.count = count
        self.with_cron = with_cron
        self._workers: list[ThreadWorker] = []
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()

    def start(self) -> EmbeddedWorkers:
        connection = redis_connection()
        for index in range(self.count):
            worker = ThreadWorker([get_queue(n) for n in self.queue_names], connection=connection)
            thread = threading.Thread(
                target=worker.work,
                kwargs={"logging_level": "WARNING"},
                name=f"rq-worker-{index}",
                daemon=True,
            )
            self._workers.append(worker)
            self._threads.append(thread)
            thread.start()
        scheduler = threading.Thread(target=self._schedule_loop, name="rq-scheduler", daemon=True)
        self._threads.append(scheduler)
        scheduler.start()
        if self.with_cron:
            cron = ThreadCronScheduler(connection=connection, logging_level=logging.WARNING)
            cron.load_config_from_file("inventory_sync.cron")
            cron_thread = threading.Thread(target=cron.start, name="rq-cron", daemon=True)
            self._threads.append(cron_thread)
            cron_thread.start()
        return self

    def _schedule_loop(self) -> None:
        connection = redis_connection()
        while not self._stop.wait(1.0):
            try:
                _promote_scheduled(connection, self.queue_names)
            except Exception:
                logger.exception("embedded scheduler failed")

    def stop(self, wait: float = 10.0) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.stop()
        deadline = time.monotonic() + wait
        for thread in self._threads:
            if thread.name.startswith("rq-worker"):
                thread.join(timeout=max(0.0, deadline - time.monotonic()))


# ------------------------------------------------------------------------------------------
# Coalesced runs: "make sure this runs soon", asked many times a second


WAKE_TTL_SECONDS = 300


def _wake_key(key: str) -> str:
    return f"inventory_sync:wake:{key}"


def request_run(func: str, *args: Any, queue: str, key: str) -> None:
    """Ask for one run of `func(*args)` after the current transaction commits.

    Requests coalesce: while a run is waiting to start, more requests add nothing; a request made
    after a run has started (and claimed it, see `claim_run`) gets exactly one more run after it.
    Runs of one key never overlap: each takes the database lease of the key
    (inventory_sync.leases). If Redis is unreachable the request is logged and dropped: the
    work itself is in the database, and the sweeper finds it.
    """

    def wake() -> None:
        try:
            if redis_connection().set(_wake_key(key), "1", nx=True, ex=WAKE_TTL_SECONDS):
                # A run raises only what is worth retrying (a platform's 429, 5xx, timeout):
                # permanent problems become recorded outcomes inside the run.
                enqueue(func, *args, queue=queue, retries=3, retry_intervals=(2, 10, 60))
        except Exception:
            logger.warning("could not request %s (%s); the sweeper will retry", func, key, exc_info=True)

    from django.db import transaction

    transaction.on_commit(wake)


def claim_run(key: str) -> None:
    """Called first thing by a run: later requests must schedule another run, because this one
    may already have read past the work they bring."""
    redis_connection().delete(_wake_key(key))
