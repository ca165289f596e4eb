"""What every sandbox platform shares: routing, fault knobs, the call log, the clock, webhook
delivery and a loopback server.

A platform subclasses `SandboxPlatform`, declares its API endpoints with `@api(...)` and answers
with the platform's own JSON. The base class applies the knobs (latency, errors, throttling,
timeouts, lost responses) before or after the endpoint runs, counts every call, and serves the
control endpoints under `/_sandbox/` that tests, benchmarks and the demo use to steer and inspect
the platform. Nothing here knows about Django: the emulators are separate programs that the hub
reaches over real HTTP.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import json
import logging
import random
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from waitress.server import create_server
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

logger = logging.getLogger(__name__)

FAULT_KINDS = ("error", "throttle", "timeout", "lost")


# --------------------------------------------------------------------------------------------
# Knobs and scripted faults


def shared_session(pool_size: int = 64) -> requests.Session:
    """A requests session that many shopper threads can share: requests' default pool keeps 10
    connections per host and drops (and logs) every one beyond that."""
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@dataclass
class Knobs:
    """Run-time behaviour of one emulator. Rates are probabilities between 0 and 1."""

    latency_ms: float = 0.0  # added before every API answer
    error_rate: float = 0.0  # answered with the platform's 5xx body, nothing applied
    timeout_rate: float = 0.0  # hangs `timeout_seconds`, then 504, nothing applied
    lost_response_rate: float = 0.0  # applied, then hangs `timeout_seconds` and 504 (reply lost)
    throttle_rate: float = 0.0  # answered with the platform's 429 body and Retry-After
    timeout_seconds: float = 5.0
    webhook_duplicate_rate: float = 0.0  # a delivery is sent twice (same event id)
    webhook_reorder: bool = False  # deliveries are shuffled within a short window
    webhook_drop_rate: float = 0.0  # a delivery is never sent
    webhook_reorder_window_ms: float = 200.0
    seed: int | None = None

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name: f for f in fields(self)}
        for name, value in values.items():
            if name not in known:
                raise ValueError(f"unknown knob {name!r}; known: {sorted(known)}")
            current = getattr(self, name)
            if name == "seed":
                value = None if value is None else int(value)
            elif isinstance(current, bool):
                value = bool(value)
            else:
                value = float(value)
                if name.endswith("_rate") and not 0.0 <= value <= 1.0:
                    raise ValueError(f"{name} must be between 0 and 1")
                if value < 0:
                    raise ValueError(f"{name} must not be negative")
            setattr(self, name, value)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ScriptedFault:
    """A deterministic fault for tests: the next `count` matching API calls get `kind`."""

    kind: str
    count: int = 1
    path: str = ""  # regular expression searched in the path; empty matches every path
    method: str = ""  # empty matches every method
    operation: str = ""  # for GraphQL: the root field, e.g. inventorySetQuantities

    def matches(self, request: Request, operation: str) -> bool:
        if self.method and request.method != self.method.upper():
            return False
        if self.path and not re.search(self.path, request.path):
            return False
        return not (self.operation and self.operation != operation)


# --------------------------------------------------------------------------------------------
# Clock


class Clock:
    """Wall-clock time plus an offset that tests move forward (token expiry, business days)."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += timedelta(seconds=seconds)

    def set(self, when: datetime) -> None:
        with self._lock:
            self._offset = when - datetime.now(UTC)


def isoformat_z(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------------------------
# Call log


@dataclass
class CallRecord:
    seq: int
    at: float
    method: str
    path: str
    endpoint: str
    operations: list[str] = field(default_factory=list)
    status: int = 0
    fault: str = ""
    write_keys: list[str] = field(default_factory=list)  # idempotency keys of writes applied


class CallLog:
    """Every API call the platform received, counted per endpoint and per operation."""

    def __init__(self, keep: int = 200_000) -> None:
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self.records: deque[CallRecord] = deque(maxlen=keep)
        self.by_endpoint: Counter[str] = Counter()
        self.by_operation: Counter[str] = Counter()
        self.applied_writes: Counter[str] = Counter()

    def start(self, request: Request, endpoint: str) -> CallRecord:
        record = CallRecord(next(self._seq), time.time(), request.method, request.path, endpoint)
        with self._lock:
            self.records.append(record)
            self.by_endpoint[endpoint] += 1
        return record

    def note_operation(self, record: CallRecord, operation: str) -> None:
        with self._lock:
            record.operations.append(operation)
            self.by_operation[operation] += 1

    def note_write(self, record: CallRecord | None, key: str) -> None:
        with self._lock:
            self.applied_writes[key] += 1
            if record is not None:
                record.write_keys.append(key)

    def since(self, seq: int) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(r) for r in self.records if r.seq > seq]

    def summary(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": dict(self.by_endpoint),
                "operations": dict(self.by_operation),
                "writes_applied": sum(self.applied_writes.values()),
                "writes_applied_twice": sorted(k for k, n in self.applied_writes.items() if n > 1),
            }

    def clear(self) -> None:
        with self._lock:
            self.records.clear()
            self.by_endpoint.clear()
            self.by_operation.clear()
            self.applied_writes.clear()


# --------------------------------------------------------------------------------------------
# Webhook delivery


@dataclass(frozen=True)
class Delivery:
    url: str
    body: bytes
    headers: dict[str, str]
    event_id: str
    topic: str


@dataclass
class DeliveryOutcome:
    event_id: str
    topic: str
    url: str
    attempt: int
    status: int  # 0 when the connection failed
    at: float
    duplicate: bool = False


class WebhookDispatcher:
    """Sends webhook deliveries from background threads, as the platform's delivery system does.

    `retry_delays` are the waits between attempts after a failure (an empty list means the
    platform never retries, like WooCommerce). The knobs add duplicates, reordering and drops.
    """

    def __init__(
        self,
        *,
        knobs: Knobs,
        rng: random.Random,
        retry_delays: Iterable[float] = (),
        timeout: float = 5.0,
        senders: int = 4,
        on_failure: Callable[[Delivery], None] | None = None,
        on_outcome: Callable[[Delivery, int, bool], None] | None = None,
    ) -> None:
        self.knobs = knobs
        self.rng = rng
        self.retry_delays = list(retry_delays)
        self.timeout = timeout
        self.on_failure = on_failure
        self.on_outcome = on_outcome  # (delivery, status or 0, is a knob's duplicate) per attempt
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, int, Delivery, bool]] = []  # (due, seq, attempt, d, dup)
        self._seq = itertools.count()
        self._in_flight = 0
        self._stopped = False
        self.outcomes: deque[DeliveryOutcome] = deque(maxlen=100_000)
        self.counts: Counter[str] = Counter()
        self._threads = [
            threading.Thread(target=self._run, name=f"webhooks-{i}", daemon=True) for i in range(senders)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, delivery: Delivery) -> None:
        with self._cond:
            self.counts["submitted"] += 1
            if self.knobs.webhook_drop_rate and self.rng.random() < self.knobs.webhook_drop_rate:
                self.counts["dropped"] += 1
                return
            delay = 0.0
            if self.knobs.webhook_reorder:
                delay = self.rng.random() * self.knobs.webhook_reorder_window_ms / 1000.0
            due = time.monotonic() + delay
            heapq.heappush(self._heap, (due, next(self._seq), 1, delivery, False))
            if self.knobs.webhook_duplicate_rate and self.rng.random() < self.knobs.webhook_duplicate_rate:
                self.counts["duplicated"] += 1
                dup_due = due + self.rng.random() * max(self.knobs.webhook_reorder_window_ms, 50) / 1000.0
                heapq.heappush(self._heap, (dup_due, next(self._seq), 1, delivery, True))
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    wait = (self._heap[0][0] - time.monotonic()) if self._heap else None
                    self._cond.wait(timeout=wait)
                if self._stopped:
                    return
                _, _, attempt, delivery, duplicate = heapq.heappop(self._heap)
                self._in_flight += 1
            try:
                self._send(delivery, attempt, duplicate)
            finally:
                with self._cond:
                    self._in_flight -= 1
                    self._cond.notify_all()

    def _send(self, delivery: Delivery, attempt: int, duplicate: bool) -> None:
        status = 0
        try:
            # A fresh connection per delivery, as the platforms' senders do: a pooled keep-alive
            # connection the receiver already closed would fail a delivery no real platform loses.
            response = requests.post(
                delivery.url,
                data=delivery.body,
                headers={**delivery.headers, "Connection": "close"},
                timeout=self.timeout,
            )
            status = response.status_code
        except requests.RequestException as exc:
            logger.info("webhook %s to %s failed: %s", delivery.topic, delivery.url, exc)
        if self.on_outcome is not None:
            self.on_outcome(delivery, status, duplicate)
        self.outcomes.append(
            DeliveryOutcome(
                delivery.event_id, delivery.topic, delivery.url, attempt, status, time.time(), duplicate
            )
        )
        if 200 <= status < 300:
            with self._cond:
                self.counts["delivered"] += 1
            return
        with self._cond:
            self.counts["failed_attempts"] += 1
            if attempt <= len(self.retry_delays) and not duplicate:
                due = time.monotonic() + self.retry_delays[attempt - 1]
                heapq.heappush(self._heap, (due, next(self._seq), attempt + 1, delivery, False))
                self._cond.notify()
                return
            self.counts["gave_up"] += 1
        if self.on_failure is not None and not duplicate:
            self.on_failure(delivery)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every delivery due now has been attempted; True if the queue drained."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._in_flight or any(item[0] <= time.monotonic() + 0.001 for item in self._heap):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(timeout=min(remaining, 0.05))
        return True

    def pending(self) -> int:
        with self._cond:
            return len(self._heap) + self._in_flight

    def clear(self) -> None:
        with self._cond:
            self._heap.clear()
            self.outcomes.clear()
            self.counts.clear()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def summary(self) -> dict[str, Any]:
        with self._cond:
            return {**self.counts, "pending": len(self._heap) + self._in_flight}


# --------------------------------------------------------------------------------------------
# The platform base class


class ApiError(Exception):
    """Raised by endpoint code to answer with a platform-shaped error response."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def api(rule: str, *, methods: Iterable[str] = ("GET",), name: str | None = None) -> Callable:
    """Declare a method of a SandboxPlatform subclass as an API endpoint."""

    def decorate(func: Callable) -> Callable:
        routes = getattr(func, "_sandbox_routes", [])
        routes.append((rule, tuple(m.upper() for m in methods), name or func.__name__))
        func._sandbox_routes = routes  # type: ignore[attr-defined]
        return func

    return decorate


def control(rule: str, *, methods: Iterable[str] = ("GET",)) -> Callable:
    """Declare a platform-specific control endpoint under /_sandbox/ (never faulted)."""
    return api("/_sandbox" + rule, methods=methods, name="_sandbox:" + rule)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(data, default=str), status=status, headers=headers, content_type="application/json"
    )


class SandboxPlatform:
    """Base of the three emulators. Subclasses set `name`, declare endpoints, and implement
    `seed`, `stock_by_sku`, `fault_response`, `snapshot_state` and `restore_state`."""

    name = "platform"
    webhook_retry_delays: tuple[float, ...] = ()

    def __init__(self, *, knobs: Knobs | None = None, snapshot_path: str | Path | None = None) -> None:
        self.knobs = knobs or Knobs()
        self.rng = random.Random(self.knobs.seed)
        self.lock = threading.RLock()
        self.clock = Clock()
        self.calls = CallLog()
        self.faults: list[ScriptedFault] = []
        self.snapshot_path = Path(snapshot_path) if snapshot_path else None
        self.webhooks = WebhookDispatcher(
            knobs=self.knobs, rng=self.rng, retry_delays=self.webhook_retry_delays
        )
        self._endpoints: dict[str, Callable] = {}
        rules = []
        for attr in dir(type(self)):
            func = getattr(type(self), attr, None)
            for rule, methods, endpoint in getattr(func, "_sandbox_routes", []):
                rules.append(Rule(rule, methods=list(methods), endpoint=endpoint))
                self._endpoints[endpoint] = getattr(self, attr)
        self.url_map = Map(rules, strict_slashes=False, merge_slashes=False)
        if self.snapshot_path and self.snapshot_path.exists():
            self.restore_state(json.loads(self.snapshot_path.read_text()))
        else:
            self.seed()

    # -- to implement ------------------------------------------------------------------------

    def seed(self) -> None:
        """Fill the platform with the demo catalogue (called at start and on reset)."""
        raise NotImplementedError

    def stock_by_sku(self) -> dict[str, Any]:
        """The platform's current stock per SKU, for the inspection endpoint."""
        raise NotImplementedError

    def fault_response(self, kind: str, request: Request) -> Response:
        """The platform's own answer for an injected 'error' (5xx) or 'throttle' (429)."""
        raise NotImplementedError

    def not_found_response(self, request: Request) -> Response:
        return json_response({"errors": "Not Found"}, status=404)

    def snapshot_state(self) -> dict[str, Any]:
        raise NotImplementedError

    def restore_state(self, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def credentials(self) -> dict[str, Any]:
        """What a client needs to connect (printed by `manage.py sandbox`)."""
        return {}

    # -- helpers for subclasses --------------------------------------------------------------

    def current_record(self, request: Request) -> CallRecord | None:
        return request.environ.get("sandbox.record")

    def note_operation(self, request: Request, operation: str) -> None:
        record = self.current_record(request)
        if record is not None:
            self.calls.note_operation(record, operation)

    def note_write(self, request: Request | None, key: str) -> None:
        self.calls.note_write(self.current_record(request) if request is not None else None, key)

    # -- WSGI ----------------------------------------------------------------------------------

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        try:
            if request.path.startswith("/_sandbox/") and not self._is_platform_control(request):
                response = self._builtin_control(request)
            else:
                response = self._dispatch(request)
        except ApiError as exc:
            response = exc.response
        except HTTPException as exc:
            response = exc.get_response(environ)
        except Exception:
            logger.exception("%s sandbox failed on %s %s", self.name, request.method, request.path)
            response = json_response({"error": "sandbox internal error"}, status=500)
        return response(environ, start_response)

    def _is_platform_control(self, request: Request) -> bool:
        try:
            self.url_map.bind_to_environ(request.environ).match()
        except HTTPException:
            return False
        return True

    def _dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except (NotFound, MethodNotAllowed):
            record = self.calls.start(request, "unknown")
            response = self.not_found_response(request)
            record.status = response.status_code
            return response
        if endpoint.startswith("_sandbox:"):
            return self._endpoints[endpoint](request, **args)
        record = self.calls.start(request, endpoint)
        request.environ["sandbox.record"] = record
        fault = self._pick_fault(request)
        if self.knobs.latency_ms:
            time.sleep(self.knobs.latency_ms / 1000.0)
        if fault in ("error", "throttle"):
            response = self.fault_response(fault, request)
        elif fault == "timeout":
            time.sleep(self.knobs.timeout_seconds)
            response = Response("upstream timeout", status=504)
        else:
            try:
                response = self._endpoints[endpoint](request, **args)
            except ApiError as exc:
                response = exc.response
            if fault == "lost":
                time.sleep(self.knobs.timeout_seconds)
                response = Response("upstream timeout", status=504)
        record.status = response.status_code
        if fault:
            record.fault = fault
        return response

    def _pick_fault(self, request: Request) -> str | None:
        with self.lock:
            for scripted in self.faults:
                # The operation is not known before the body is parsed; GraphQL platforms
                # check scripted operation faults themselves through `take_operation_fault`.
                if scripted.count > 0 and not scripted.operation and scripted.matches(request, ""):
                    scripted.count -= 1
                    self.faults = [f for f in self.faults if f.count > 0]
                    return scripted.kind
            k = self.knobs
            roll = self.rng.random()
            for kind, rate in (
                ("error", k.error_rate),
                ("throttle", k.throttle_rate),
                ("timeout", k.timeout_rate),
                ("lost", k.lost_response_rate),
            ):
                if roll < rate:
                    return kind
                roll -= rate
        return None

    def take_operation_fault(self, request: Request, operation: str) -> str | None:
        """For GraphQL: a scripted fault aimed at one operation, taken once it is known."""
        with self.lock:
            for scripted in self.faults:
                if scripted.count > 0 and scripted.operation and scripted.matches(request, operation):
                    scripted.count -= 1
                    self.faults = [f for f in self.faults if f.count > 0]
                    record = self.current_record(request)
                    if record is not None:
                        record.fault = scripted.kind
                    return scripted.kind
        return None

    # -- built-in control endpoints ------------------------------------------------------------

    def _builtin_control(self, request: Request) -> Response:
        path = request.path[len("/_sandbox") :].rstrip("/") or "/"
        body: dict[str, Any] = {}
        if request.method in ("POST", "PUT") and request.data:
            try:
                body = json.loads(request.data)
            except ValueError:
                return json_response({"error": "body is not JSON"}, status=400)
        try:
            if path == "/health":
                return json_response({"ok": True, "platform": self.name})
            if path == "/knobs":
                if request.method in ("POST", "PUT"):
                    with self.lock:
                        self.knobs.update(body)
                        if "seed" in body:
                            self.rng.seed(self.knobs.seed)
                return json_response(self.knobs.to_dict())
            if path == "/faults":
                with self.lock:
                    if request.method == "DELETE":
                        self.faults = []
                    elif request.method == "POST":
                        for spec in body.get("faults", [body] if body else []):
                            fault = ScriptedFault(**spec)
                            if fault.kind not in FAULT_KINDS:
                                raise ValueError(f"fault kind must be one of {FAULT_KINDS}")
                            self.faults.append(fault)
                    return json_response({"faults": [asdict(f) for f in self.faults]})
            if path == "/state":
                return json_response(self.inspect())
            if path == "/calls":
                return json_response({"calls": self.calls.since(int(request.args.get("since", 0)))})
            if path == "/reset" and request.method == "POST":
                self.reset()
                return json_response({"ok": True})
            if path == "/clock":
                if request.method == "POST":
                    if "advance" in body:
                        self.clock.advance(float(body["advance"]))
                    if "set" in body:
                        self.clock.set(datetime.fromisoformat(body["set"].replace("Z", "+00:00")))
                return json_response({"now": isoformat_z(self.clock.now())})
            if path == "/webhooks/flush" and request.method == "POST":
                drained = self.webhooks.flush(float(body.get("timeout", 10)))
                return json_response({"drained": drained, **self.webhooks.summary()})
            if path == "/snapshot" and request.method == "POST":
                self.save_snapshot()
                return json_response({"ok": True, "path": str(self.snapshot_path)})
            if path == "/credentials":
                return json_response(self.credentials())
        except (ValueError, TypeError, KeyError) as exc:
            return json_response({"error": str(exc)}, status=400)
        return json_response({"error": f"no control endpoint {request.method} {request.path}"}, status=404)

    def inspect(self) -> dict[str, Any]:
        with self.lock:
            stock = self.stock_by_sku()
        return {
            "platform": self.name,
            "now": isoformat_z(self.clock.now()),
            "stock": stock,
            **self.calls.summary(),
            "webhooks": self.webhooks.summary(),
            "knobs": self.knobs.to_dict(),
        }

    def reset(self) -> None:
        self.webhooks.flush(timeout=2)
        with self.lock:
            self.calls.clear()
            self.faults = []
            self.knobs.update(asdict(Knobs()))
            self.rng.seed(None)
            self.clock = Clock()
            self.webhooks.clear()
            self.seed()

    def save_snapshot(self) -> None:
        if not self.snapshot_path:
            raise ValueError("this sandbox was started without a snapshot path")
        with self.lock:
            state = self.snapshot_state()
        tmp = self.snapshot_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, default=str))
        tmp.replace(self.snapshot_path)

    def close(self) -> None:
        if self.snapshot_path:
            self.save_snapshot()
        self.webhooks.stop()


# --------------------------------------------------------------------------------------------
# Serving


class SandboxServer:
    """Serves one platform on loopback from a background thread (tests) or the foreground."""

    def __init__(
        self, platform: SandboxPlatform, *, host: str = "127.0.0.1", port: int = 0, threads: int = 16
    ):
        self.platform = platform
        # A deep backlog and many threads: benchmarks open many keep-alive connections, and
        # fault knobs park threads in deliberate hangs.
        self._server = create_server(
            platform,
            host=host,
            port=port,
            threads=threads,
            backlog=1024,
            connection_limit=1000,
            channel_timeout=120,
            ident=f"sandbox-{platform.name}",
        )
        self.host = host
        self.port: int = self._server.effective_port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self._server.run, name=f"sandbox-{self.platform.name}", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.run()

    def stop(self) -> None:
        stop_waitress(self._server, self._thread)
        self.platform.close()


def stop_waitress(server: Any, thread: threading.Thread | None = None, *, timeout: float = 5.0) -> None:
    """Stop a waitress server whose loop runs in `thread`, keep-alive connections included (closing
    the listener alone leaves them in its socket map, and the loop runs until they time out).

    The sockets are closed by the loop's own thread, through waitress's trigger: closing one from
    another thread while the loop waits in select() kills the loop with EBADF."""

    def close_all() -> None:
        for channel in list(server._map.values()):
            if channel is not server and channel is not server.trigger:
                with contextlib.suppress(OSError):
                    channel.close()
        server.close()  # the listener, then the trigger: the map is empty and the loop ends

    if thread is not None and thread.is_alive():
        server.trigger.pull_trigger(close_all)
        thread.join(timeout)
    else:
        close_all()
    server.task_dispatcher.shutdown()
