"""OAuth 2.0 against the emulator with Intuit's own client library, `intuit-oauth`."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError

from .conftest import Qbo

REDIRECT = "http://127.0.0.1:9/callback"


_OPEN: list[AuthClient] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    # AuthClient is a requests.Session; an idle keep-alive connection would hold the server open.
    yield
    while _OPEN:
        _OPEN.pop().close()


def _client(qbo: Qbo, secret: str | None = None) -> AuthClient:
    client = AuthClient(
        qbo.creds["client_id"],
        secret or qbo.creds["client_secret"],
        REDIRECT,
        environment=f"{qbo.url}/.well-known/openid-configuration",
    )
    _OPEN.append(client)
    return client


def _consent(qbo: Qbo, client: AuthClient, scopes: list[Scopes]) -> tuple[str, str]:
    url = client.get_authorization_url(scopes, "state-123")
    response = requests.get(url, allow_redirects=False, timeout=5)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    params = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert params["state"] == "state-123"
    return params["code"], params["realmId"]


def _connected(qbo: Qbo) -> AuthClient:
    client = _client(qbo)
    code, realm = _consent(qbo, client, [Scopes.ACCOUNTING])
    client.get_bearer_token(code, realm_id=realm)
    return client


def _api_status(qbo: Qbo, token: str) -> requests.Response:
    return requests.get(
        f"{qbo.base}/companyinfo/{qbo.realm}", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )


def test_discovery_document_points_at_this_server(qbo: Qbo) -> None:
    doc = requests.get(f"{qbo.url}/.well-known/openid-configuration", timeout=5).json()
    for key in (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "revocation_endpoint",
        "jwks_uri",
    ):
        assert doc[key].startswith(qbo.url + "/")
    assert doc["issuer"] == qbo.url + "/op/v1"
    assert doc["response_types_supported"] == ["code"]
    assert "client_secret_basic" in doc["token_endpoint_auth_methods_supported"]


def test_code_flow_gives_tokens_that_open_the_api(qbo: Qbo) -> None:
    client = _client(qbo)
    code, realm = _consent(qbo, client, [Scopes.ACCOUNTING])
    assert realm == qbo.realm
    client.get_bearer_token(code, realm_id=realm)
    assert client.access_token and client.refresh_token
    assert client.expires_in == 3600
    assert client.x_refresh_token_expires_in > 86400 * 100
    response = _api_status(qbo, client.access_token)
    assert response.status_code == 200
    assert response.json()["CompanyInfo"]["CompanyName"]

    with pytest.raises(AuthClientError) as reused:
        client.get_bearer_token(code, realm_id=realm)
    assert reused.value.status_code == 400
    assert reused.value.response.json() == {"error": "invalid_grant"}


def test_refresh_rotates_and_the_old_token_works_only_within_the_grace(qbo: Qbo) -> None:
    client = _connected(qbo)
    first_refresh = client.refresh_token
    client.refresh()
    newest_access, newest_refresh = client.access_token, client.refresh_token
    assert newest_refresh != first_refresh

    qbo.advance(30)  # inside the 60 s grace: the rotated token answers with the newest pair
    late = _client(qbo)
    late.refresh(refresh_token=first_refresh)
    assert (late.access_token, late.refresh_token) == (newest_access, newest_refresh)

    qbo.advance(31)
    with pytest.raises(AuthClientError) as stale:
        late.refresh(refresh_token=first_refresh)
    assert stale.value.status_code == 400
    assert stale.value.response.json()["error"] == "invalid_grant"

    client.refresh(refresh_token=newest_refresh)
    assert _api_status(qbo, client.access_token).status_code == 200


def test_expired_access_token_gets_intuits_401_until_refreshed(qbo: Qbo) -> None:
    client = _connected(qbo)
    qbo.advance(3601)
    response = _api_status(qbo, client.access_token)
    assert response.status_code == 401
    error = response.json()["fault"]["error"][0]
    assert error["code"] == "3200"
    assert error["message"] == "message=AuthenticationFailed; errorCode=003200; statusCode=401"
    assert response.json()["fault"]["type"] == "AUTHENTICATION"

    client.refresh()
    assert _api_status(qbo, client.access_token).status_code == 200


def test_unknown_and_missing_bearer_get_401(qbo: Qbo) -> None:
    assert _api_status(qbo, "not-a-token").status_code == 401
    bare = requests.get(f"{qbo.base}/companyinfo/{qbo.realm}", timeout=5)
    assert bare.status_code == 401
    assert bare.json()["fault"]["error"][0]["code"] == "3200"


def test_token_for_another_company_is_forbidden(qbo: Qbo) -> None:
    response = qbo.http.get(f"{qbo.url}/v3/company/123456/query", params={"query": "select * from Item"})
    assert response.status_code == 403
    assert response.json()["fault"]["error"][0]["code"] == "3100"


def test_revoke_ends_the_whole_connection(qbo: Qbo) -> None:
    client = _connected(qbo)
    access, refresh = client.access_token, client.refresh_token
    assert client.revoke(token=refresh) is True
    assert _api_status(qbo, access).status_code == 401
    with pytest.raises(AuthClientError) as revoked:
        client.refresh(refresh_token=refresh)
    assert revoked.value.response.json()["error"] == "invalid_grant"


def test_bad_client_credentials_and_bad_authorize_requests(qbo: Qbo) -> None:
    good = _client(qbo)
    code, realm = _consent(qbo, good, [Scopes.ACCOUNTING])
    with pytest.raises(AuthClientError) as bad:
        _client(qbo, secret="wrong").get_bearer_token(code, realm_id=realm)
    assert bad.value.status_code == 401
    assert bad.value.response.json() == {"error": "invalid_client"}

    authorize = f"{qbo.url}/connect/oauth2"
    unknown = requests.get(
        authorize,
        params={
            "client_id": "nope",
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": Scopes.ACCOUNTING.value,
        },
        allow_redirects=False,
        timeout=5,
    )
    assert unknown.status_code == 400
    assert "invalid_client" in unknown.text
    no_redirect = requests.get(
        authorize, params={"client_id": qbo.creds["client_id"], "response_type": "code"}, timeout=5
    )
    assert no_redirect.status_code == 400
    bad_scope = requests.get(
        authorize,
        params={
            "client_id": qbo.creds["client_id"],
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": "x",
        },
        allow_redirects=False,
        timeout=5,
    )
    assert bad_scope.status_code == 302
    assert "error=invalid_scope" in bad_scope.headers["Location"]

    unsupported = requests.post(
        f"{qbo.url}/oauth2/v1/tokens/bearer",
        data={"grant_type": "password"},
        auth=(qbo.creds["client_id"], qbo.creds["client_secret"]),
        timeout=5,
    )
    assert unsupported.status_code == 400
    assert unsupported.json()["error"] == "unsupported_grant_type"


def test_openid_scope_gets_an_id_token_the_client_validates(qbo: Qbo) -> None:
    client = _client(qbo)
    code, realm = _consent(qbo, client, [Scopes.ACCOUNTING, Scopes.OPENID, Scopes.EMAIL])
    client.get_bearer_token(code, realm_id=realm)
    # intuit-oauth keeps the id_token only after checking its RS256 signature against our JWKS.
    assert client.id_token
    info = client.get_user_info().json()
    assert info["email"] == "sandbox.user@example.com"


def test_seeded_credentials_work_without_a_browser(qbo: Qbo) -> None:
    creds = qbo.creds
    assert {
        "client_id",
        "client_secret",
        "realm_id",
        "webhook_verifier_token",
        "access_token",
        "refresh_token",
    } <= set(creds)
    assert _api_status(qbo, creds["access_token"]).status_code == 200
    client = _client(qbo)
    client.refresh(refresh_token=creds["refresh_token"])
    assert (
        requests.get(f"{qbo.url}/_sandbox/credentials", timeout=5).json()["refresh_token"]
        == client.refresh_token
    )
