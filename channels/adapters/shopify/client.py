"""HTTP to the Shopify Admin API: the GraphQL endpoint and the few REST resources the hub reads.

Everything about the wire lives here: the access token header, a timeout on every call, retries
with exponential backoff and jitter on 429, 5xx, timeouts and dropped connections (bounded,
then `TransientChannelError`), and both of Shopify's rate limits:

- GraphQL is priced in cost points. Every answer reports `extensions.cost.throttleStatus`
  (bucket size, points available now, restore rate per second). Before a call whose expected
  cost exceeds what the bucket holds, the client waits exactly as long as the restore rate needs
  to refill the difference; a THROTTLED answer (HTTP 200) waits the same way and retries.
- REST is a leaky bucket (40 requests draining at 2/s on standard plans; the header
  X-Shopify-Shop-Api-Call-Limit says "used/size"). The client keeps one slot spare and waits for
  it to drain rather than run into 429; a 429 is retried after its Retry-After.

Writes are retried too: the adapter makes them safe to repeat (`@idempotent` keys, compare
quantities), so an ambiguous failure (timeout, 5xx, a lost answer) never applies twice.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlparse

import requests

from channels.adapters.base import AuthError, PermanentChannelError, TransientChannelError

logger = logging.getLogger(__name__)

T = TypeVar("T")

# GraphQL error codes worth another try; everything else in `errors` is the query's own fault.
RETRYABLE_GRAPHQL_CODES = frozenset({"THROTTLED", "INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"})
# A REST bucket of N requests drains at N/20 per second (40 -> 2/s, 80 -> 4/s, 400 -> 20/s).
REST_DRAIN_SECONDS = 20.0


@dataclass(frozen=True)
class RestAnswer:
    body: Any
    links: dict[str, str]  # rel -> URL, from the Link header
    headers: Mapping[str, str]

    @property
    def next_page_info(self) -> str | None:
        """The opaque cursor of the next page (Link rel="next"); None on the last page."""
        link = self.links.get("next")
        if not link:
            return None
        values = parse_qs(urlparse(link).query).get("page_info")
        return values[0] if values else None


@dataclass(frozen=True)
class _Retry:
    """Why an attempt failed in a way worth repeating, and how long to wait (None: backoff)."""

    reason: str
    wait: float | None = None
    status: int | None = None
    raw: str | None = None


@dataclass
class CostBucket:
    """The shop's GraphQL bucket as last reported, projected forward at the restore rate."""

    maximum: float
    available: float
    restore_rate: float
    observed_at: float

    def now_available(self, now: float) -> float:
        return min(self.maximum, self.available + max(0.0, now - self.observed_at) * self.restore_rate)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare from Shopify; fall back to our own backoff


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


class ShopifyClient:
    def __init__(
        self,
        *,
        base_url: str,
        access_token: str,
        api_version: str,
        timeout: float = 20.0,
        max_attempts: int = 5,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version
        self.timeout = timeout
        self.max_attempts = max(1, int(max_attempts))
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.session = session or requests.Session()
        self._headers = {
            "X-Shopify-Access-Token": access_token,
            "Accept": "application/json",
            "User-Agent": "inventory-sync (+shopify adapter)",
        }
        self._sleep = sleep
        self._clock = clock
        # Time the injected sleep did not really pass (tests move the emulator's clock instead
        # of sleeping): added to the clock, so the buckets refill as if the wait had happened.
        self._skew = 0.0
        self.cost_bucket: CostBucket | None = None
        self._rest_level: tuple[float, float, float] | None = None  # used, size, observed_at
        # The version that really answered (Shopify serves the oldest supported one when asked
        # for a retired version); the adapter picks its mutation shape by it.
        self.served_version: str | None = None
        # Every deliberate wait, newest last: (reason, seconds). For logs, tests and benchmarks.
        self.waits: deque[tuple[str, float]] = deque(maxlen=1000)

    @property
    def api_root(self) -> str:
        return f"{self.base_url}/admin/api/{self.api_version}"

    # -- GraphQL -------------------------------------------------------------------------------

    def graphql(
        self, query: str, variables: Mapping[str, Any] | None = None, *, operation: str, cost: int
    ) -> dict[str, Any]:
        """Run one GraphQL document and return its `data`. `cost` is the caller's estimate of
        the requested cost, used to wait for the bucket before sending rather than after."""
        payload = {"query": query, "variables": dict(variables or {}), "operationName": operation}

        def inspect(response: requests.Response) -> dict[str, Any] | _Retry:
            body = self._json(response, f"GraphQL {operation}")
            if not isinstance(body, dict):
                raise PermanentChannelError(
                    f"Shopify answered {operation} with something other than a JSON object",
                    status=response.status_code,
                    raw=response.text,
                )
            requested = self._note_cost(body)
            errors = body.get("errors")
            if errors:
                return self._graphql_errors(errors, response, operation, max(cost, requested))
            data = body.get("data")
            if not isinstance(data, dict):
                raise PermanentChannelError(
                    f"Shopify answered {operation} without data",
                    status=response.status_code,
                    raw=response.text,
                )
            return data

        return self._call(
            "POST",
            f"{self.api_root}/graphql.json",
            payload=payload,
            label=f"GraphQL {operation}",
            before=lambda: self._await_cost(cost),
            inspect=inspect,
        )

    def _graphql_errors(
        self, errors: Any, response: requests.Response, operation: str, cost: float
    ) -> _Retry:
        entries: list[Any] = errors if isinstance(errors, list) else [{"message": str(errors)}]
        codes = [
            str((e.get("extensions") or {}).get("code") or "") if isinstance(e, dict) else "" for e in entries
        ]
        first: Any = entries[0] if entries else {}
        message = str(first.get("message") if isinstance(first, dict) else first)
        if "THROTTLED" in codes:
            return _Retry(f"{operation} throttled", wait=self._cost_wait(cost), raw=response.text)
        if any(code in RETRYABLE_GRAPHQL_CODES for code in codes):
            return _Retry(f"{operation}: {message}", raw=response.text)
        code = next((c for c in codes if c), "")
        if code == "ACCESS_DENIED":
            raise PermanentChannelError(
                f"Shopify refused {operation}: {message} (the app lacks an access scope)",
                status=response.status_code,
                raw=response.text,
                code=code,
            )
        raise PermanentChannelError(
            f"Shopify rejected {operation}: {message}",
            status=response.status_code,
            raw=response.text,
            code=code,
        )

    def _note_cost(self, body: dict[str, Any]) -> float:
        """Remember the bucket from `extensions.cost`; returns the requested cost it reports."""
        cost = (
            (body.get("extensions") or {}).get("cost") if isinstance(body.get("extensions"), dict) else None
        )
        if not isinstance(cost, dict):
            return 0.0
        status = cost.get("throttleStatus")
        if isinstance(status, dict):
            with contextlib.suppress(KeyError, TypeError, ValueError):
                self.cost_bucket = CostBucket(
                    maximum=float(status["maximumAvailable"]),
                    available=float(status["currentlyAvailable"]),
                    restore_rate=float(status["restoreRate"]),
                    observed_at=self._now(),
                )
        try:
            return float(cost.get("requestedQueryCost") or 0)
        except (TypeError, ValueError):
            return 0.0

    def _cost_wait(self, cost: float) -> float | None:
        """Seconds until the bucket holds `cost` points; None when unknown (use the backoff)."""
        bucket = self.cost_bucket
        if bucket is None or bucket.restore_rate <= 0:
            return None
        missing = cost - bucket.now_available(self._now())
        return missing / bucket.restore_rate if missing > 0 else None

    def _await_cost(self, cost: float) -> None:
        bucket = self.cost_bucket
        if bucket is None or cost > bucket.maximum:
            return  # no reading yet, or no wait could ever make room: let Shopify answer
        wait = self._cost_wait(cost)
        if wait:
            self._pause("graphql cost", wait)

    # -- REST ----------------------------------------------------------------------------------

    def rest_get(self, path: str, params: Mapping[str, Any] | None = None) -> RestAnswer:
        """GET a REST resource under /admin/api/<version>/ (or a full Link URL)."""
        url = path if path.startswith(("http://", "https://")) else f"{self.api_root}/{path.lstrip('/')}"

        def inspect(response: requests.Response) -> RestAnswer:
            body = self._json(response, f"GET {path}")
            links = {
                str(rel): str(link.get("url", ""))
                for rel, link in (response.links or {}).items()
                if isinstance(link, dict)
            }
            return RestAnswer(body=body, links=links, headers=response.headers)

        return self._call(
            "GET",
            url,
            params=dict(params or {}),
            label=f"GET {path}",
            before=self._await_rest_slot,
            inspect=inspect,
        )

    def _note_rest_level(self, response: requests.Response) -> None:
        value = response.headers.get("X-Shopify-Shop-Api-Call-Limit", "")
        used, _, size = value.partition("/")
        with contextlib.suppress(ValueError):
            self._rest_level = (float(used), float(size), self._now())

    def _await_rest_slot(self) -> None:
        if self._rest_level is None:
            return
        used, size, observed_at = self._rest_level
        if size <= 1:
            return
        drain = size / REST_DRAIN_SECONDS
        level = max(0.0, used - (self._now() - observed_at) * drain)
        # Keep one slot spare for the shop's other apps and our other workers.
        excess = level + 1 - (size - 1)
        if excess > 0:
            self._pause("rest bucket", excess / drain)

    # -- the retry loop ------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        url: str,
        *,
        label: str,
        inspect: Callable[[requests.Response], T | _Retry],
        before: Callable[[], None],
        params: Mapping[str, Any] | None = None,
        payload: Any = None,
    ) -> T:
        last = _Retry("no attempt made")
        for attempt in range(1, self.max_attempts + 1):
            before()
            try:
                response = self.session.request(
                    method, url, params=params, json=payload, headers=self._headers, timeout=self.timeout
                )
            except (
                requests.Timeout,
                requests.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                # The request may or may not have reached Shopify: ambiguous, hence keyed writes.
                outcome: T | _Retry = _Retry(f"{type(exc).__name__}: {exc}")
            else:
                served = response.headers.get("X-Shopify-API-Version")
                if served:
                    self.served_version = served
                if "X-Shopify-Shop-Api-Call-Limit" in response.headers:
                    self._note_rest_level(response)
                refusal = self._classify(response, label)
                outcome = refusal if refusal is not None else inspect(response)
            if not isinstance(outcome, _Retry):
                return outcome
            last = outcome
            if attempt == self.max_attempts:
                break
            wait = outcome.wait if outcome.wait is not None else self._backoff(attempt)
            logger.warning(
                "Shopify %s failed (%s); retrying in %.2f s",
                label,
                outcome.reason,
                wait,
                extra={"platform": "shopify", "attempt": attempt, "status": outcome.status, "call": label},
            )
            self._pause("retry", wait)
        raise TransientChannelError(
            f"Shopify {label} failed after {self.max_attempts} attempt(s): {last.reason}",
            retry_after=last.wait,
            status=last.status,
            raw=last.raw,
        )

    def _classify(self, response: requests.Response, label: str) -> _Retry | None:
        """Retry, raise, or None to let the caller read the answer."""
        status = response.status_code
        if status == 429 or status >= 500:
            return _Retry(
                f"HTTP {status} {_short(response.text, 120)}",
                wait=_retry_after(response),
                status=status,
                raw=response.text,
            )
        if status == 401:
            raise AuthError(
                "Shopify refused the access token: reconnect the shop", status=status, raw=response.text
            )
        if status >= 400:
            raise PermanentChannelError(
                f"Shopify answered {label} with HTTP {status}: {_short(response.text)}",
                status=status,
                raw=response.text,
                code=str(status),
            )
        return None

    def _json(self, response: requests.Response, label: str) -> Any:
        try:
            return response.json()
        except (ValueError, json.JSONDecodeError):
            raise PermanentChannelError(
                f"Shopify's answer to {label} is not JSON", status=response.status_code, raw=response.text
            ) from None

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)  # jitter: workers retrying together spread out

    def _now(self) -> float:
        return self._clock() + self._skew

    def _pause(self, reason: str, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.waits.append((reason, seconds))
        if not seconds:
            return
        started = self._now()
        self._sleep(seconds)
        short = seconds - (self._now() - started)
        if short > 0:
            self._skew += short
