"""OAuth 2.0 with Intuit, through Intuit's own client library (`intuit-oauth`).

`environment` in the credentials is what `AuthClient` takes: 'sandbox', 'production', or the URL
of a discovery document (the emulator serves its own), so the same code reaches either.

Refresh tokens rotate: a refresh may hand back a NEW refresh token, and the old one soon stops
working. `refresh` therefore always returns the refresh token of the answer (never the one it
was given, unless the answer lacks one), and the caller stores it at once, under the row lock
(channels/connections.py). Forgetting this is python-quickbooks issue #392: the app works for a
day, then every refresh fails with invalid_grant.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from django.utils import timezone
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError

from channels.adapters.base import (
    AdapterConfig,
    AuthError,
    ChannelError,
    OAuthTokens,
    PermanentChannelError,
    TransientChannelError,
)

logger = logging.getLogger(__name__)

API_HOSTS = {
    "sandbox": "https://sandbox-quickbooks.api.intuit.com",
    "production": "https://quickbooks.api.intuit.com",
}
ENVIRONMENT_ALIASES = {"sand": "sandbox", "prod": "production"}
DEFAULT_TIMEOUT = 20.0
REFRESH_ATTEMPTS = 3
REFRESH_BACKOFF = 0.5
# Errors of the token endpoint that mean the grant itself is gone: reconnect, do not retry.
REFUSED = frozenset({"invalid_grant", "invalid_client", "unauthorized_client", "access_denied"})

T = TypeVar("T")


def _environment(value: str) -> str:
    value = (value or "sandbox").strip()
    return ENVIRONMENT_ALIASES.get(value.lower(), value.lower() if value.lower() in API_HOSTS else value)


def api_base_for(environment: str) -> str:
    """The accounting API host for an environment: Intuit's two hosts, or for a discovery-document
    URL (the emulator's) that URL's origin, where the emulator serves the API as well."""
    env = _environment(environment)
    if env in API_HOSTS:
        return API_HOSTS[env]
    parts = urlsplit(env)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PermanentChannelError(
            f"QuickBooks environment {environment!r} is neither 'sandbox', 'production' nor a URL"
        )
    return f"{parts.scheme}://{parts.netloc}"


class _TimedAuthClient(AuthClient):
    """AuthClient is a requests.Session that sends without a timeout; give every call one."""

    def __init__(self, *args: Any, timeout: float, **kwargs: Any) -> None:
        self._timeout = timeout  # set first: the parent's constructor already fetches the discovery doc
        super().__init__(*args, **kwargs)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        response: requests.Response = super().request(method, url, *args, **kwargs)
        return response


def _translate(exc: Exception, action: str) -> ChannelError:
    """Intuit's answers, in the hub's error types."""
    if isinstance(exc, AuthClientError):
        status = exc.status_code
        raw = exc.content.decode("utf-8", "replace") if isinstance(exc.content, bytes) else str(exc.content)
        error = ""
        try:
            body = exc.response.json()
            error = str(body.get("error", "")) if isinstance(body, dict) else ""
        except ValueError:
            pass
        if status == 429 or status >= 500:
            retry_after = exc.headers.get("Retry-After") if exc.headers else None
            return TransientChannelError(
                f"Intuit could not {action} now (HTTP {status})",
                status=status,
                raw=raw,
                retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
            )
        if error in REFUSED or status in (400, 401, 403):
            return AuthError(
                f"Intuit refused to {action} ({error or f'HTTP {status}'}): connect QuickBooks again",
                status=status,
                raw=raw,
                code=error,
            )
        return PermanentChannelError(f"Intuit could not {action} (HTTP {status})", status=status, raw=raw)
    if isinstance(exc, requests.RequestException):
        return TransientChannelError(f"Intuit could not be reached to {action}: {exc}")
    return PermanentChannelError(f"Intuit's answer to {action} did not parse: {exc}", raw=str(exc))


def _client(credentials: Mapping[str, Any], timeout: float) -> _TimedAuthClient:
    try:
        return _TimedAuthClient(
            credentials.get("client_id", ""),
            credentials.get("client_secret", ""),
            credentials.get("redirect_uri", ""),
            _environment(str(credentials.get("environment", "sandbox"))),
            timeout=timeout,
        )
    except (AuthClientError, requests.RequestException, ValueError, KeyError) as exc:
        raise _translate(exc, "read its discovery document") from exc


def _with_client(
    credentials: Mapping[str, Any],
    action: str,
    call: Callable[[_TimedAuthClient], T],
    *,
    timeout: float,
    attempts: int = 1,
    backoff: float = REFRESH_BACKOFF,
) -> T:
    """Run one AuthClient call, retrying transient failures a bounded number of times."""
    for attempt in range(1, attempts + 1):
        try:
            client = _client(credentials, timeout)
            try:
                return call(client)
            finally:
                client.close()
        except (AuthClientError, requests.RequestException, ValueError, KeyError) as exc:
            error = _translate(exc, action)
        except TransientChannelError as exc:  # the discovery document, already translated
            error = exc
        if not isinstance(error, TransientChannelError) or attempt == attempts:
            raise error
        wait = backoff * 2 ** (attempt - 1) * random.uniform(0.5, 1.0)
        logger.warning(
            "Intuit OAuth call failed, retrying",
            extra={"action": action, "attempt": attempt, "wait": wait, "error": str(error)},
        )
        time.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


def _tokens(client: AuthClient, fallback_refresh: str, now: datetime) -> OAuthTokens:
    if not client.access_token:
        raise PermanentChannelError("Intuit's token answer had no access token")
    refresh_in = client.x_refresh_token_expires_in
    return OAuthTokens(
        access_token=str(client.access_token),
        # The answer's refresh token is the newest; keep the old one only if none came back.
        refresh_token=str(client.refresh_token or fallback_refresh),
        expires_at=now + timedelta(seconds=int(client.expires_in or 3600)),
        refresh_expires_at=now + timedelta(seconds=int(refresh_in)) if refresh_in else None,
    )


def authorization_url(credentials: Mapping[str, Any], state: str) -> str:
    """Where to send the admin to approve the app for one company (accounting scope)."""

    def build(client: _TimedAuthClient) -> str:
        return str(client.get_authorization_url([Scopes.ACCOUNTING], state))

    return _with_client(credentials, "start the authorisation", build, timeout=DEFAULT_TIMEOUT)


def exchange_code(credentials: Mapping[str, Any], code: str, realm_id: str) -> OAuthTokens:
    """The callback's authorisation code for the first token pair (single use: never retried)."""
    if not code:
        raise AuthError("Intuit sent no authorisation code: connect QuickBooks again")
    now = timezone.now()

    def exchange(client: _TimedAuthClient) -> OAuthTokens:
        client.get_bearer_token(code, realm_id=realm_id or None)
        return _tokens(client, "", now)

    return _with_client(credentials, "exchange the authorisation code", exchange, timeout=DEFAULT_TIMEOUT)


def refresh(config: AdapterConfig, refresh_token: str) -> OAuthTokens:
    """New tokens from a refresh token; the platform's `refresher`. A retry after a lost answer
    is safe: Intuit answers a just-rotated refresh token with the newest pair for a while."""
    if not refresh_token:
        raise AuthError("no refresh token stored: connect QuickBooks again")
    options = config.options
    now = timezone.now()

    def renew(client: _TimedAuthClient) -> OAuthTokens:
        client.refresh(refresh_token=refresh_token)
        return _tokens(client, refresh_token, now)

    tokens = _with_client(
        config.credentials,
        "refresh the access token",
        renew,
        timeout=float(options.get("timeout", DEFAULT_TIMEOUT)),
        attempts=max(1, min(int(options.get("max_attempts", REFRESH_ATTEMPTS)), REFRESH_ATTEMPTS)),
        backoff=min(float(options.get("backoff_cap", REFRESH_BACKOFF)), REFRESH_BACKOFF),
    )
    logger.info(
        "refreshed QuickBooks tokens",
        extra={"realm": config.account_id, "rotated": tokens.refresh_token != refresh_token},
    )
    return tokens


def revoke(credentials: Mapping[str, Any], token: str) -> None:
    """Revoke the connection (any of its tokens revokes them all)."""
    if not token:
        return

    def run(client: _TimedAuthClient) -> None:
        client.revoke(token=token)

    _with_client(credentials, "revoke the connection", run, timeout=DEFAULT_TIMEOUT)
