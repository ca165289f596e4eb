"""Intuit's OAuth 2.0 server, as the `intuit-oauth` client sees it.

The discovery document has Intuit's keys and points at this server. The authorize endpoint
approves at once (there is no user to ask) and redirects with `code`, `state` and `realmId`.
The token endpoint authenticates the client with HTTP Basic (or client_secret_post, which
Intuit's discovery document also advertises), exchanges a single-use code, and refreshes.

Refresh tokens rotate: every refresh returns a new refresh token. The one it replaced keeps
working for `refresh_token_grace_seconds` after the rotation and answers with the newest pair
unchanged (so two workers refreshing at once both end up with the same tokens), then it gives
invalid_grant. Real Intuit keeps handing back the same refresh token for about a day; rotating
every time is stricter and catches a client that forgets to store the new one. Access tokens
expire after `access_token_ttl` seconds of platform time; revoking any token of a connection
revokes all of them. Errors are Intuit's: 401 {"error": "invalid_client"}, 400
{"error": "invalid_grant"}.

An id_token (RS256, key published at the jwks URI) is issued on the code exchange when the
scopes include openid. Its iat/exp use wall-clock time, not the sandbox clock, because
`intuit-oauth` validates it against the local clock.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import string
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
KNOWN_SCOPES = frozenset(
    {
        ACCOUNTING_SCOPE,
        "com.intuit.quickbooks.payment",
        "com.intuit.quickbooks.payroll",
        "openid",
        "profile",
        "email",
        "phone",
        "address",
        "intuit_name",
    }
)
REFRESH_TOKEN_TTL = 8_726_400  # what Intuit reports in x_refresh_token_expires_in (101 days)
CODE_TTL = 300
_ALNUM = string.ascii_letters + string.digits


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str = "") -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, **({"error_description": self.description} if self.description else {})}


@dataclass
class Grant:
    """One connection: the tokens a consent produced and everything refreshed from them."""

    id: str
    realm_id: str
    scopes: list[str]
    access: str = ""
    refresh: str = ""
    revoked: bool = False


@dataclass
class Token:
    value: str
    grant_id: str
    expires_at: float
    rotated_at: float | None = None


@dataclass
class AuthCode:
    value: str
    redirect_uri: str
    scopes: list[str]
    expires_at: float
    used: bool = False


@dataclass
class TokenStore:
    client_id: str
    client_secret: str
    realm_id: str
    access_ttl: float
    refresh_grace: float
    grants: dict[str, Grant] = field(default_factory=dict)
    access: dict[str, Token] = field(default_factory=dict)
    refresh_tokens: dict[str, Token] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)

    # -- client authentication -----------------------------------------------------------------

    def check_client(self, authorization: str | None, form: dict[str, str]) -> None:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise OAuthError(401, "invalid_client") from None
            client_id, _, secret = decoded.partition(":")
        if (
            not client_id
            or client_id != self.client_id
            or not secrets.compare_digest(secret or "", self.client_secret)
        ):
            raise OAuthError(401, "invalid_client")

    # -- codes and tokens ----------------------------------------------------------------------

    def new_code(self, redirect_uri: str, scopes: list[str], now: float) -> str:
        value = "AB11" + str(int(now)) + "".join(secrets.choice(_ALNUM) for _ in range(36))
        self.codes[value] = AuthCode(value, redirect_uri, scopes, now + CODE_TTL)
        return value

    def exchange(self, code: str, redirect_uri: str, now: float) -> Grant:
        entry = self.codes.get(code)
        if entry is None or entry.used or entry.expires_at < now or entry.redirect_uri != redirect_uri:
            raise OAuthError(400, "invalid_grant")
        entry.used = True
        return self.new_grant(entry.scopes, now)

    def new_grant(self, scopes: list[str], now: float) -> Grant:
        grant = Grant(id=secrets.token_hex(8), realm_id=self.realm_id, scopes=list(scopes))
        self.grants[grant.id] = grant
        self._issue(grant, now)
        return grant

    def _issue(self, grant: Grant, now: float) -> None:
        # Shaped like Intuit's JWE access tokens (header..iv.ciphertext.tag), about as long.
        access = (
            "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0.."
            + secrets.token_urlsafe(16)
            + "."
            + secrets.token_urlsafe(600)
            + "."
            + secrets.token_urlsafe(16)
        )
        refresh = (
            "AB11" + str(int(now) + REFRESH_TOKEN_TTL) + "".join(secrets.choice(_ALNUM) for _ in range(36))
        )
        self.access[access] = Token(access, grant.id, now + self.access_ttl)
        self.refresh_tokens[refresh] = Token(refresh, grant.id, now + REFRESH_TOKEN_TTL)
        grant.access, grant.refresh = access, refresh

    def refresh(self, token: str, now: float) -> Grant:
        entry = self.refresh_tokens.get(token)
        grant = self.grants.get(entry.grant_id) if entry else None
        if entry is None or grant is None or grant.revoked or entry.expires_at < now:
            raise OAuthError(400, "invalid_grant")
        if entry.rotated_at is not None:
            if now - entry.rotated_at > self.refresh_grace:
                raise OAuthError(400, "invalid_grant")
            return grant  # inside the grace: the newest pair, unchanged
        entry.rotated_at = now
        self._issue(grant, now)
        return grant

    def revoke(self, token: str) -> None:
        entry = self.refresh_tokens.get(token) or self.access.get(token)
        if entry is not None and entry.grant_id in self.grants:
            self.grants[entry.grant_id].revoked = True

    def check_access(self, token: str, now: float) -> tuple[Grant | None, str]:
        """The grant behind a bearer token, or why there is none."""
        entry = self.access.get(token)
        if entry is None:
            return None, "unknown"
        grant = self.grants[entry.grant_id]
        if grant.revoked:
            return None, "revoked"
        if entry.expires_at < now:
            return None, "expired"
        return grant, ""

    def token_response(self, grant: Grant, now: float) -> dict[str, Any]:
        access = self.access[grant.access]
        refresh = self.refresh_tokens[grant.refresh]
        return {
            "token_type": "bearer",
            "access_token": grant.access,
            "expires_in": max(0, round(access.expires_at - now)),
            "refresh_token": grant.refresh,
            "x_refresh_token_expires_in": max(0, round(refresh.expires_at - now)),
        }

    # -- snapshot ------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        return {
            "grants": [asdict(g) for g in self.grants.values()],
            "access": [asdict(t) for t in self.access.values()],
            "refresh": [asdict(t) for t in self.refresh_tokens.values()],
            "codes": [asdict(c) for c in self.codes.values()],
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.grants = {g["id"]: Grant(**g) for g in state.get("grants", [])}
        self.access = {t["value"]: Token(**t) for t in state.get("access", [])}
        self.refresh_tokens = {t["value"]: Token(**t) for t in state.get("refresh", [])}
        self.codes = {c["value"]: AuthCode(**c) for c in state.get("codes", [])}


class IdTokenSigner:
    """An RS256 key made on first use; its public half is served as the JWKS."""

    def __init__(self) -> None:
        self._key: Any = None
        self.kid = "sandbox-" + secrets.token_hex(4)

    def _private(self) -> Any:
        if self._key is None:
            self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self._key

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self._private().public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}

    def sign(self, *, issuer: str, client_id: str, realm_id: str, subject: str) -> str:
        issued = int(time.time())
        claims = {
            "sub": subject,
            "aud": [client_id],
            "realmid": realm_id,
            "auth_time": issued,
            "iss": issuer,
            "exp": issued + 3600,
            "iat": issued,
        }
        return jwt.encode(claims, self._private(), algorithm="RS256", headers={"kid": self.kid})


def discovery_document(base: str) -> dict[str, Any]:
    """Intuit's discovery document, with every endpoint on this server."""
    return {
        "issuer": f"{base}/op/v1",
        "authorization_endpoint": f"{base}/connect/oauth2",
        "token_endpoint": f"{base}/oauth2/v1/tokens/bearer",
        "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
        "revocation_endpoint": f"{base}/v2/oauth2/tokens/revoke",
        "jwks_uri": f"{base}/op/v1/jwks",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile", "address", "phone"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
    }
