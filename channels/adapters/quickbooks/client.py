"""HTTP to the QuickBooks Online Accounting API (v3): auth, timeouts, retries, throttling, faults.

Every call goes to `<base_url>/v3/company/<realm>/<path>` with `minorversion` and a Bearer token
from the TokenProvider. What comes back is sorted here, once:

- 401: the token was refused. Ask the provider for a refreshed one (it refreshes under the row
  lock, or hands back what another worker just got) and try again, once; a second 401 (or a 403,
  the wrong company or scope) is an AuthError: the merchant must reconnect.
- 429, or a Fault with code 3001 (also inside a 200): throttled. QuickBooks documents a 60 s wait
  and sends no Retry-After; the emulator does, and it wins when present. Waits are capped by the
  `backoff_cap` option when set (tests), and the call is retried a bounded number of times.
- 5xx, a SystemFault, timeouts, connection errors: retried with exponential backoff and jitter.
- Other faults (validation 2xxx, 5010 stale SyncToken, 6240 duplicate name, 610 not found...):
  PermanentChannelError with `.code` = the fault code and `.raw` = the body.
- An answer that does not parse: PermanentChannelError with the raw body.

Writes are retried too, which is only safe because every write carries a `requestid`: QuickBooks
answers a repeated requestid with the first result instead of applying it again, so a retry after
a timeout or a lost response cannot post a second sales receipt. The same id is used for every
attempt of one logical write.
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import requests

from channels.adapters.base import (
    AdapterConfig,
    AuthError,
    PermanentChannelError,
    TokenProvider,
    TransientChannelError,
)

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 20.0
DEFAULT_ATTEMPTS = 5
DEFAULT_BACKOFF_BASE = 0.5
DEFAULT_BACKOFF_CAP = 30.0
THROTTLE_WAIT = 60.0  # Intuit: "wait 60 seconds" after a 3001; no Retry-After is sent
MAX_BATCH = 30  # operations per batch request
REQUEST_ID_MAX = 50  # QuickBooks refuses longer request ids
THROTTLED = "3001"
SYSTEM_FAULT = "SystemFault"
RAW_KEPT = 20_000  # characters of a body kept on an error


def _minor_version_default() -> int:
    try:
        from django.conf import settings

        return int(getattr(settings, "QUICKBOOKS_MINOR_VERSION", 75))
    except Exception:  # settings not configured (a script): the documented minimum
        return 75


class StaticTokens:
    """For a config used without a Connection row: the stored access token, never refreshed
    (refreshing without storing the rotated refresh token would strand the connection)."""

    def __init__(self, access_token: str) -> None:
        self._token = access_token

    def access_token(self) -> str:
        return self._token

    def refreshed_access_token(self, rejected: str) -> str:
        raise AuthError("QuickBooks refused the access token and this client cannot refresh it")


def fault_errors(body: Any) -> list[dict[str, Any]]:
    """The errors of a Fault, in either dialect (the API's `Fault.Error`, the gateway's
    lower-case `fault.error`)."""
    if not isinstance(body, dict):
        return []
    fault = body.get("Fault") or body.get("fault")
    if not isinstance(fault, dict):
        return []
    errors = fault.get("Error") or fault.get("error") or []
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def fault_type(body: Any) -> str:
    fault = (body.get("Fault") or body.get("fault")) if isinstance(body, dict) else None
    return str(fault.get("type", "")) if isinstance(fault, dict) else ""


def describe_fault(errors: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    """(code, human message) of the first error of a fault."""
    if not errors:
        return "", "QuickBooks reported a fault without details"
    first = errors[0]
    code = str(first.get("code") or "")
    message = str(first.get("Message") or first.get("message") or "fault")
    detail = str(first.get("Detail") or first.get("detail") or "")
    text = f"{message}: {detail}" if detail and detail != message else message
    return code, f"QuickBooks fault {code}: {text}" if code else f"QuickBooks fault: {text}"


def request_id_for(key: str) -> str:
    """A requestid QuickBooks accepts: the key itself, or a stable hash of it when too long."""
    if key and len(key) <= REQUEST_ID_MAX:
        return key
    if not key:
        return uuid.uuid4().hex
    return "h-" + uuid.uuid5(uuid.NAMESPACE_URL, key).hex


class _Retry(Exception):
    """One attempt failed in a way worth retrying; `wait` overrides the backoff when set."""

    def __init__(self, error: TransientChannelError, wait: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.wait = wait


class QuickBooksClient:
    def __init__(
        self,
        config: AdapterConfig,
        tokens: TokenProvider | None = None,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        options = config.options
        # No realm yet (a connection still waiting for its OAuth callback) is only an error when
        # a call is made: building the client must stay cheap and safe (webhook verification).
        self.realm_id = config.account_id
        self.base = f"{config.base_url.rstrip('/')}/v3/company/{self.realm_id}"
        self.tokens: TokenProvider = tokens or StaticTokens(str(config.credentials.get("access_token", "")))
        self.minor_version = int(options.get("minor_version") or _minor_version_default())
        self.timeout = float(options.get("timeout", DEFAULT_TIMEOUT))
        self.max_attempts = max(1, int(options.get("max_attempts", DEFAULT_ATTEMPTS)))
        self.backoff_base = float(options.get("backoff_base", DEFAULT_BACKOFF_BASE))
        explicit_cap = options.get("backoff_cap")
        self.backoff_cap = float(explicit_cap) if explicit_cap is not None else DEFAULT_BACKOFF_CAP
        # Throttle waits follow Intuit's 60 s unless a cap was configured on purpose.
        self.throttle_cap = float(explicit_cap) if explicit_cap is not None else THROTTLE_WAIT
        self.session = session or requests.Session()
        self.session.headers.update({"Accept": "application/json", "User-Agent": "inventory-sync"})
        self.sleep = sleep

    # -- public calls ----------------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        return self._call("GET", path, params=params)

    def query(self, statement: str) -> dict[str, Any]:
        """The QueryResponse of one statement (an empty dict when nothing matched)."""
        body = self._call("GET", "query", params={"query": statement})
        response = body.get("QueryResponse")
        if not isinstance(response, dict):
            raise PermanentChannelError("QuickBooks answered a query without QueryResponse", raw=_dump(body))
        return response

    def write(
        self, path: str, payload: Mapping[str, Any], *, request_id: str = "", **params: str
    ) -> dict[str, Any]:
        """POST a create/update/delete; the same requestid on every attempt."""
        rid = request_id_for(request_id)
        return self._call("POST", path, params={**params, "requestid": rid}, payload=payload)

    def batch(self, operations: Sequence[Mapping[str, Any]], *, request_id: str = "") -> list[dict[str, Any]]:
        """One batch request (at most 30 operations, each with its own "bId"); returns the
        BatchItemResponse entries in the order of the operations. Item-level Faults are left
        in the entries for the caller to judge."""
        if not operations:
            return []
        if len(operations) > MAX_BATCH:
            raise ValueError(
                f"a QuickBooks batch takes at most {MAX_BATCH} operations, not {len(operations)}"
            )
        body = self.write("batch", {"BatchItemRequest": list(operations)}, request_id=request_id)
        entries = body.get("BatchItemResponse") if isinstance(body, dict) else None
        if not isinstance(entries, list):
            raise PermanentChannelError(
                "QuickBooks answered a batch without BatchItemResponse", raw=_dump(body)
            )
        by_id = {str(e.get("bId")): e for e in entries if isinstance(e, dict)}
        missing = [str(op["bId"]) for op in operations if str(op["bId"]) not in by_id]
        if missing:
            raise PermanentChannelError(f"QuickBooks' batch answer lacks items {missing}", raw=_dump(body))
        return [by_id[str(op["bId"])] for op in operations]

    # -- the loop ----------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        payload: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        if not self.realm_id:
            raise PermanentChannelError("the QuickBooks connection has no company (realm) id yet")
        url = f"{self.base}/{path.lstrip('/')}"
        query = {**(params or {}), "minorversion": str(self.minor_version)}
        data = json.dumps(payload, default=_json_default).encode() if payload is not None else None
        token = self.tokens.access_token()
        refreshed = False
        last: TransientChannelError | None = None
        attempt = 0
        # Bounded: every pass either returns, raises, or uses up one attempt (the one token
        # refresh adds a single extra pass).
        while attempt < self.max_attempts:
            attempt += 1
            try:
                response = self._send(method, url, query, data, token)
                if response.status_code == 401 and not refreshed:
                    logger.info("QuickBooks refused the access token; refreshing", extra={"path": path})
                    token = self.tokens.refreshed_access_token(token)
                    refreshed = True
                    attempt -= 1  # the refused call was not a failure of the platform
                    continue
                return self._judge(response, path)
            except _Retry as retry:
                last = retry.error
                if attempt >= self.max_attempts:
                    break
                wait = retry.wait if retry.wait is not None else self._backoff(attempt)
                logger.warning(
                    "QuickBooks call failed, retrying",
                    extra={
                        "method": method,
                        "path": path,
                        "attempt": attempt,
                        "wait": round(wait, 3),
                        "status": retry.error.status,
                        "error": str(retry.error),
                    },
                )
                self.sleep(wait)
        assert last is not None
        raise last

    def _send(
        self, method: str, url: str, params: Mapping[str, str], data: bytes | None, token: str
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        try:
            return self.session.request(
                method, url, params=params, data=data, headers=headers, timeout=self.timeout
            )
        except requests.Timeout as exc:
            raise _Retry(TransientChannelError(f"QuickBooks did not answer in {self.timeout} s")) from exc
        except requests.ConnectionError as exc:
            raise _Retry(TransientChannelError(f"QuickBooks could not be reached: {exc}")) from exc

    def _judge(self, response: requests.Response, path: str) -> dict[str, Any]:
        status = response.status_code
        raw = response.text[:RAW_KEPT]
        if status == 429:
            # Real QuickBooks sends this one as XML even to JSON clients: do not parse it.
            wait = self._throttle_wait(response)
            raise _Retry(
                TransientChannelError(
                    "QuickBooks throttled the request (3001)",
                    status=429,
                    raw=raw,
                    code=THROTTLED,
                    retry_after=_retry_after(response) or THROTTLE_WAIT,
                ),
                wait,
            )
        if status >= 500:
            raise _Retry(TransientChannelError(f"QuickBooks answered HTTP {status}", status=status, raw=raw))
        try:
            body = response.json(parse_float=Decimal)
        except ValueError:
            raise PermanentChannelError(
                f"QuickBooks' answer to {path} (HTTP {status}) did not parse", status=status, raw=raw
            ) from None
        errors = fault_errors(body)
        code, message = describe_fault(errors)
        if status in (401, 403):
            raise AuthError(
                f"QuickBooks refused the authorisation ({message}): connect QuickBooks again",
                status=status,
                raw=raw,
                code=code,
            )
        if errors:
            if code == THROTTLED:
                raise _Retry(
                    TransientChannelError(
                        message, status=status, raw=raw, code=code, retry_after=THROTTLE_WAIT
                    ),
                    self._throttle_wait(response),
                )
            if fault_type(body) == SYSTEM_FAULT:
                raise _Retry(TransientChannelError(message, status=status, raw=raw, code=code))
            raise PermanentChannelError(message, status=status, raw=raw, code=code)
        if status >= 400:
            raise PermanentChannelError(f"QuickBooks answered HTTP {status}", status=status, raw=raw)
        if not isinstance(body, dict):
            raise PermanentChannelError(f"QuickBooks' answer to {path} was not an object", raw=raw)
        return body

    # -- waits ---------------------------------------------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        return ceiling * random.uniform(0.5, 1.0)  # jitter: workers throttled together spread out

    def _throttle_wait(self, response: requests.Response) -> float:
        return min(_retry_after(response) or THROTTLE_WAIT, self.throttle_cap)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"cannot send {type(value).__name__} to QuickBooks")


def _dump(body: Any) -> str:
    return json.dumps(body, default=str)[:RAW_KEPT]
