"""WooCommerce REST authentication (class-wc-rest-authentication.php), for one read/write API key.

Order of checks as in WC_REST_Authentication::authenticate():
1. consumer_key/consumer_secret in the query string, else HTTP Basic. A known key with a wrong
   secret is an error ("Consumer secret is invalid."); an unknown key is simply anonymous, so the
   route's own permission check answers (woocommerce_rest_cannot_view and friends).
2. OAuth 1.0a one-legged: oauth_* parameters in the query, form body or an `Authorization: OAuth`
   header, HMAC-SHA1 or HMAC-SHA256 over METHOD&rawurlencode(url)&double-encoded sorted params,
   signed with `consumer_secret&`; timestamps within 15 minutes; nonces single use.

Deviations: real WooCommerce only tries step 1 over HTTPS; the sandbox is plain HTTP on loopback
and accepts Basic and query-string credentials anyway (the hub's adapter uses Basic). Timestamps
are checked against the wall clock, not the sandbox clock, so moving the clock in a test does not
break OAuth clients that stamp requests with real time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import threading
import time
from collections import deque
from urllib.parse import quote, unquote

from werkzeug.wrappers import Request

from .wp import WpError

NONCE_WINDOW = 15 * 60
OAUTH_PARAMS = (
    "oauth_consumer_key",
    "oauth_timestamp",
    "oauth_nonce",
    "oauth_signature",
    "oauth_signature_method",
)
_HEADER_PARAM = re.compile(r'(oauth_[a-z_-]*)=(?:"([^"]*)"|([^,]*))')


def _auth_error(message: str) -> WpError:
    return WpError("woocommerce_rest_authentication_error", message, 401)


def rawurlencode(value: str) -> str:
    return quote(value, safe="-_.~")


class Authenticator:
    def __init__(self, consumer_key: str, consumer_secret: str) -> None:
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self._lock = threading.Lock()
        self._nonces: set[str] = set()
        self._nonce_order: deque[tuple[float, str]] = deque()

    def authenticate(self, request: Request, params: dict[str, str]) -> bool:
        """True for our key, False for an anonymous request; raises the 401 WP_Error otherwise.

        `params` is the PHP-style query ($_GET) of the request.
        """
        key, secret = self._basic_credentials(request, params)
        if key and secret and hmac.compare_digest(key, self.consumer_key):
            if hmac.compare_digest(secret, self.consumer_secret):
                return True
            raise _auth_error("Consumer secret is invalid.")
        return self._oauth(request, params)

    def _basic_credentials(self, request: Request, params: dict[str, str]) -> tuple[str, str]:
        key, secret = str(params.get("consumer_key") or ""), str(params.get("consumer_secret") or "")
        if key and secret:
            return key, secret
        auth = request.authorization
        if auth is not None and auth.type == "basic":
            return auth.username or "", auth.password or ""
        return "", ""

    def _oauth(self, request: Request, query: dict[str, str]) -> bool:
        params: dict[str, str] = {k: str(v) for k, v in query.items() if not isinstance(v, list)}
        if "x-www-form-urlencoded" in (request.content_type or ""):
            params.update(request.form.items())
        header = request.headers.get("Authorization", "").strip()
        if header.startswith("OAuth "):
            for match in _HEADER_PARAM.finditer(header):
                params[match.group(1)] = unquote(match.group(2) or match.group(3) or "")
        present = [name for name in OAUTH_PARAMS if params.get(name)]
        if not present:
            return False
        missing = [name for name in OAUTH_PARAMS if not params.get(name)]
        if missing:
            noun = "parameter" if len(missing) == 1 else "parameters"
            raise WpError(
                "woocommerce_rest_authentication_missing_parameter",
                f"Missing OAuth {noun} {', '.join(missing)}",
                401,
            )
        if not hmac.compare_digest(params["oauth_consumer_key"], self.consumer_key):
            raise _auth_error("Consumer key is invalid.")
        self._check_signature(request, params)
        self._check_timestamp_and_nonce(params["oauth_timestamp"], params["oauth_nonce"])
        return True

    def _check_signature(self, request: Request, params: dict[str, str]) -> None:
        method = str(request.environ.get("woo.original_method", request.method)).upper()
        raw_path = str(request.environ.get("REQUEST_URI") or quote(request.path)).split("?", 1)[0]
        base_uri = rawurlencode(request.host_url.rstrip("/") + raw_path)
        given = unquote(params["oauth_signature"].replace(" ", "+"))
        signed = {k: v for k, v in params.items() if k != "oauth_signature"}
        pairs = [rawurlencode(f"{rawurlencode(k)}={rawurlencode(signed[k])}") for k in sorted(signed)]
        string_to_sign = f"{method}&{base_uri}&{'%26'.join(pairs)}"
        algorithm = params["oauth_signature_method"]
        if algorithm not in ("HMAC-SHA1", "HMAC-SHA256"):
            raise _auth_error("Invalid signature - signature method is invalid.")
        digest = hashlib.sha1 if algorithm == "HMAC-SHA1" else hashlib.sha256
        expected = base64.b64encode(
            hmac.new(f"{self.consumer_secret}&".encode(), string_to_sign.encode(), digest).digest()
        ).decode()
        if not hmac.compare_digest(expected, given):
            raise _auth_error("Invalid signature - provided signature does not match.")

    def _check_timestamp_and_nonce(self, timestamp: str, nonce: str) -> None:
        now = time.time()
        try:
            stamp = int(timestamp)
        except ValueError as exc:
            raise _auth_error("Invalid timestamp.") from exc
        if not now - NONCE_WINDOW <= stamp <= now + NONCE_WINDOW:
            raise _auth_error("Invalid timestamp.")
        with self._lock:
            while self._nonce_order and self._nonce_order[0][0] < now - NONCE_WINDOW:
                self._nonces.discard(self._nonce_order.popleft()[1])
            if nonce in self._nonces:
                raise _auth_error("Invalid nonce - nonce has already been used.")
            self._nonces.add(nonce)
            self._nonce_order.append((now, nonce))

    def clear(self) -> None:
        with self._lock:
            self._nonces.clear()
            self._nonce_order.clear()
