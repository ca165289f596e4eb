"""HTTP to a WooCommerce shop's REST API v3 (/wp-json/wc/v3/) and WordPress's public index.

Everything about the wire lives here:

- Auth: HTTP Basic with the consumer key and secret (WooCommerce accepts it over HTTPS), or,
  with the `query_string_auth` option, the same pair as query parameters, for hosts whose web
  server strips the Authorization header (WooCommerce's documented workaround).
- A timeout on every call; retries with exponential backoff and jitter on 429, 5xx, timeouts
  and dropped connections, honouring Retry-After up to `backoff_cap`, a bounded number of
  attempts, then `TransientChannelError` (carrying the server's full Retry-After, so the job's
  own retry can wait as long as the shop asked: WordPress's maintenance mode says 600 s).
- WooCommerce's error bodies `{"code", "message", "data": {"status"}}`: 401/403 become
  `AuthError`, other 4xx `PermanentChannelError` with the code, always with the raw body kept.
- Paging headers X-WP-Total / X-WP-TotalPages are handed back with every answer.

Redirects are not followed: requests would turn a redirected POST into a GET (and drop the
credentials on another host), so a shop that moved (http -> https, a new domain) is reported
with the address to use instead.
"""

from __future__ import annotations

import html
import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from requests.auth import HTTPBasicAuth

from channels.adapters.base import AuthError, PermanentChannelError, TransientChannelError

logger = logging.getLogger(__name__)

API_PATH = "/wp-json/wc/v3"
RAW_KEPT = 20_000  # characters of a platform body kept on an error for the activity log
USER_AGENT = "inventory-sync (+woocommerce adapter)"


@dataclass(frozen=True)
class WooAnswer:
    body: Any
    status: int
    total: int | None  # X-WP-Total: items in the whole collection
    total_pages: int | None  # X-WP-TotalPages


@dataclass(frozen=True)
class _Retry:
    """Why an attempt failed in a way worth repeating."""

    reason: str
    retry_after: float | None = None
    status: int | None = None
    raw: str | None = None


def _int_header(response: requests.Response, name: str) -> int | None:
    try:
        return int(response.headers.get(name, ""))
    except ValueError:
        return None


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def error_parts(text: str) -> tuple[str, str, Any]:
    """(code, message, data) of a WP_Error body; empty when the body is not one."""
    try:
        body = json.loads(text)
    except ValueError:
        return "", "", None
    if not isinstance(body, dict):
        return "", "", None
    # WordPress escapes quotes and ampersands in messages as HTML entities.
    return str(body.get("code") or ""), html.unescape(str(body.get("message") or "")), body.get("data")


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


class WooClient:
    def __init__(
        self,
        *,
        base_url: str,
        consumer_key: str,
        consumer_secret: str,
        timeout: float = 20.0,
        max_attempts: int = 5,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        query_string_auth: bool = False,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        site = base_url.strip().rstrip("/")
        # Merchants paste the API address as often as the shop's: both mean the same shop.
        if site.endswith(API_PATH):
            site = site[: -len(API_PATH)]
        self.site_url = site
        self.api_root = f"{site}{API_PATH}"
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.timeout = timeout
        self.max_attempts = max(1, int(max_attempts))
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.query_string_auth = query_string_auth
        self.session = session or requests.Session()
        self._sleep = sleep

    # -- calls ---------------------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> WooAnswer:
        return self._call("GET", path, params=params)

    def post(
        self, path: str, body: Any, *, params: Mapping[str, Any] | None = None, idempotency_key: str = ""
    ) -> WooAnswer:
        return self._call("POST", path, params=params, body=body, idempotency_key=idempotency_key)

    def put(self, path: str, body: Any, *, idempotency_key: str = "") -> WooAnswer:
        return self._call("PUT", path, body=body, idempotency_key=idempotency_key)

    def site_index(self) -> WooAnswer:
        """GET /wp-json/ without credentials: WordPress would try a Basic pair there as an
        application password, fail on the consumer key, and refuse the public index."""
        return self._call("GET", "", url=f"{self.site_url}/wp-json/", authenticated=False)

    # -- the retry loop ------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        idempotency_key: str = "",
        url: str | None = None,
        authenticated: bool = True,
    ) -> WooAnswer:
        label = f"{method} {path or url}"
        target = url or f"{self.api_root}/{path.lstrip('/')}"
        query = dict(params or {})
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        auth: HTTPBasicAuth | None = None
        if authenticated:
            if not (self.consumer_key and self.consumer_secret):
                raise AuthError("the WooCommerce connection has no consumer key and secret")
            if self.query_string_auth:
                query.update(consumer_key=self.consumer_key, consumer_secret=self.consumer_secret)
            else:
                auth = HTTPBasicAuth(self.consumer_key, self.consumer_secret)
        if idempotency_key:
            # WooCommerce ignores it; it names the write in proxies' and the sandbox's logs.
            headers["Idempotency-Key"] = idempotency_key
        last = _Retry("no attempt made")
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = self.session.request(
                    method,
                    target,
                    params=query,
                    json=body,
                    headers=headers,
                    auth=auth,
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except (
                requests.Timeout,
                requests.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                # Reached the shop or not: ambiguous. Stock writes are absolute, so repeating
                # one is harmless.
                outcome: WooAnswer | _Retry = _Retry(f"{type(exc).__name__}: {exc}")
            else:
                outcome = self._judge(response, label)
            if isinstance(outcome, WooAnswer):
                return outcome
            last = outcome
            if attempt == self.max_attempts:
                break
            wait = (
                min(outcome.retry_after, self.backoff_cap)
                if outcome.retry_after is not None
                else self._backoff(attempt)
            )
            logger.warning(
                "WooCommerce %s failed (%s); retrying in %.2f s",
                label,
                outcome.reason,
                wait,
                extra={
                    "platform": "woocommerce",
                    "call": label,
                    "attempt": attempt,
                    "status": outcome.status,
                    "wait": round(wait, 3),
                },
            )
            self._sleep(wait)
        raise TransientChannelError(
            f"WooCommerce {label} failed after {self.max_attempts} attempt(s): {last.reason}",
            retry_after=last.retry_after,
            status=last.status,
            raw=last.raw,
        )

    def _judge(self, response: requests.Response, label: str) -> WooAnswer | _Retry:
        """The answer, a reason to retry, or a raised permanent error."""
        status = response.status_code
        text = response.text
        raw = text[:RAW_KEPT]
        code, message, data = error_parts(text)
        if status == 429 or status >= 500:
            # Some WooCommerce errors carry a bare number as WP_Error data, and WordPress then
            # answers 500 with `"data": 404`: that is the shop saying "no such thing", not a crash.
            if status >= 500 and isinstance(data, int) and 400 <= data < 500:
                raise PermanentChannelError(
                    f"WooCommerce refused {label}: {message or code} ({code})",
                    status=status,
                    raw=raw,
                    code=code,
                )
            return _Retry(
                f"HTTP {status} {code or _short(text, 120)}",
                retry_after=retry_after_seconds(response.headers.get("Retry-After")),
                status=status,
                raw=raw,
            )
        if 300 <= status < 400:
            location = response.headers.get("Location", "")
            raise PermanentChannelError(
                f"the shop redirects {label} to {location or 'another address'}: "
                "set the connection's store URL to the address the shop really answers on",
                status=status,
                raw=raw,
                code="redirect",
            )
        if status in (401, 403):
            raise AuthError(
                f"WooCommerce refused the API key for {label}: {message or 'not authorised'} "
                "(check the consumer key, its secret and its read/write permission)",
                status=status,
                raw=raw,
                code=code,
            )
        if status >= 400:
            raise PermanentChannelError(
                f"WooCommerce refused {label}: {message or _short(text)}" + (f" ({code})" if code else ""),
                status=status,
                raw=raw,
                code=code or str(status),
            )
        try:
            body = response.json()
        except ValueError:
            raise PermanentChannelError(
                f"WooCommerce's answer to {label} (HTTP {status}) is not JSON", status=status, raw=raw
            ) from None
        return WooAnswer(
            body=body,
            status=status,
            total=_int_header(response, "X-WP-Total"),
            total_pages=_int_header(response, "X-WP-TotalPages"),
        )

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)  # jitter: workers retrying together spread out
