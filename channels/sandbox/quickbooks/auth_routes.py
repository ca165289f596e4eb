"""The OAuth endpoints on the emulator, at the paths Intuit's discovery document names.

Kept apart from the accounting API: a mixin whose routes the kit collects like any other.
"""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from channels.sandbox.kit import Clock, api, json_response

from .oauth import ACCOUNTING_SCOPE, KNOWN_SCOPES, IdTokenSigner, OAuthError, TokenStore, discovery_document

_ERROR_PAGE = """<!DOCTYPE html><html><head><title>Intuit - Error</title></head><body>
<h1>Oops! An error occurred.</h1><p>Please close this window and try again.</p>
<p>Error Code: {error}</p><p>Message: {description}</p></body></html>"""


def base_url(request: Request) -> str:
    return request.host_url.rstrip("/")


def _oauth_error(exc: OAuthError) -> Response:
    headers = {"WWW-Authenticate": 'Basic realm="Intuit"'} if exc.status == 401 else None
    return json_response(exc.body(), status=exc.status, headers=headers)


def _redirect(uri: str, params: dict[str, str]) -> Response:
    joiner = "&" if "?" in uri else "?"
    return Response(status=302, headers={"Location": uri + joiner + urlencode(params)})


class OAuthEndpoints:
    """Discovery, authorize, token, revoke, userinfo and JWKS."""

    lock: threading.RLock
    clock: Clock
    tokens: TokenStore
    signer: IdTokenSigner
    realm_id: str

    @api("/.well-known/openid-configuration", name="discovery")
    def discovery(self, request: Request) -> Response:
        return json_response(discovery_document(base_url(request)))

    # Intuit's own discovery paths, so a client pointed at either spelling finds the document.
    @api("/.well-known/openid_configuration", name="discovery_intuit")
    def discovery_intuit(self, request: Request) -> Response:
        return self.discovery(request)

    @api("/.well-known/openid_sandbox_configuration", name="discovery_sandbox")
    def discovery_sandbox(self, request: Request) -> Response:
        return self.discovery(request)

    @api("/connect/oauth2", name="authorize")
    def authorize(self, request: Request) -> Response:
        args = request.args
        client_id = args.get("client_id", "")
        redirect_uri = args.get("redirect_uri", "")
        if client_id != self.tokens.client_id:
            return self._error_page("invalid_client", "The client_id is not valid for this app.")
        if not redirect_uri.startswith(("http://", "https://")):
            return self._error_page(
                "invalid_request",
                "The redirect_uri query parameter value is invalid. Make sure it is listed in the Redirect "
                "URIs section on your app's keys tab and matches it exactly.",
            )
        state = args.get("state", "")
        extra = {"state": state} if state else {}
        if args.get("response_type") != "code":
            return _redirect(redirect_uri, {"error": "unsupported_response_type", **extra})
        scopes = [s for s in args.get("scope", "").split() if s]
        if not scopes or any(s not in KNOWN_SCOPES for s in scopes):
            return _redirect(redirect_uri, {"error": "invalid_scope", **extra})
        with self.lock:
            code = self.tokens.new_code(redirect_uri, scopes, self.clock.now().timestamp())
        params = {"code": code, **extra}
        if ACCOUNTING_SCOPE in scopes or "com.intuit.quickbooks.payment" in scopes:
            params["realmId"] = self.realm_id
        return _redirect(redirect_uri, params)

    def _error_page(self, error: str, description: str) -> Response:
        return Response(
            _ERROR_PAGE.format(error=error, description=description), status=400, content_type="text/html"
        )

    @api("/oauth2/v1/tokens/bearer", methods=["POST"], name="token")
    def token(self, request: Request) -> Response:
        form = request.form.to_dict()
        now = self.clock.now().timestamp()
        try:
            with self.lock:
                self.tokens.check_client(request.headers.get("Authorization"), form)
                grant_type = form.get("grant_type", "")
                if grant_type == "authorization_code":
                    if not form.get("code"):
                        raise OAuthError(400, "invalid_request")
                    grant = self.tokens.exchange(form["code"], form.get("redirect_uri", ""), now)
                    body: dict[str, Any] = self.tokens.token_response(grant, now)
                    if "openid" in grant.scopes:
                        body["id_token"] = self.signer.sign(
                            issuer=base_url(request) + "/op/v1",
                            client_id=self.tokens.client_id,
                            realm_id=grant.realm_id,
                            subject="sandbox-user-" + grant.id,
                        )
                elif grant_type == "refresh_token":
                    if not form.get("refresh_token"):
                        raise OAuthError(400, "invalid_request")
                    grant = self.tokens.refresh(form["refresh_token"], now)
                    body = self.tokens.token_response(grant, now)
                else:
                    raise OAuthError(400, "unsupported_grant_type")
        except OAuthError as exc:
            return _oauth_error(exc)
        return json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    @api("/v2/oauth2/tokens/revoke", methods=["POST"], name="revoke")
    def revoke(self, request: Request) -> Response:
        token = request.form.get("token")
        if token is None and request.data:
            try:
                parsed = json.loads(request.data)
            except ValueError:
                parsed = None
            token = parsed.get("token") if isinstance(parsed, dict) else None
        try:
            with self.lock:
                self.tokens.check_client(request.headers.get("Authorization"), request.form.to_dict())
                if not token:
                    raise OAuthError(400, "invalid_request")
                self.tokens.revoke(str(token))
        except OAuthError as exc:
            return _oauth_error(exc)
        return Response(status=200)

    @api("/v1/openid_connect/userinfo", name="userinfo")
    def userinfo(self, request: Request) -> Response:
        header = request.headers.get("Authorization", "")
        with self.lock:
            grant, _ = self.tokens.check_access(header[7:].strip(), self.clock.now().timestamp())
        if not header.lower().startswith("bearer ") or grant is None:
            return json_response({"error": "invalid_token"}, status=401)
        info: dict[str, Any] = {"sub": "sandbox-user-" + grant.id}
        if "email" in grant.scopes:
            info.update({"email": "sandbox.user@example.com", "emailVerified": True})
        if "profile" in grant.scopes:
            info.update({"givenName": "Sandbox", "familyName": "User"})
        return json_response(info)

    @api("/op/v1/jwks", name="jwks")
    def jwks(self, request: Request) -> Response:
        return json_response(self.signer.jwks())
