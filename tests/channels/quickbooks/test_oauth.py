"""OAuth 2.0 through intuit-oauth's real AuthClient against the emulator's discovery document:
authorise, call back, exchange, refresh with rotation, revoke; and the errors in the hub's types."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.utils import timezone

from channels.adapters.base import AuthError, PermanentChannelError, TransientChannelError
from channels.adapters.quickbooks import oauth

from .conftest import REDIRECT, Qbo, make_rig


def _consent(url: str) -> dict[str, str]:
    """What the admin's browser does: Intuit approves and redirects back to the callback."""
    response = requests.get(url, allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def _api_ok(qbo: Qbo, token: str) -> bool:
    response = requests.get(
        f"{qbo.url}/v3/company/{qbo.realm}/companyinfo/{qbo.realm}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    return response.status_code == 200


def test_authorize_callback_tokens_and_refresh_rotation(qbo: Qbo) -> None:
    credentials = qbo.credentials(access_token="", refresh_token="")
    url = oauth.authorization_url(credentials, "state-abc")
    assert url.startswith(f"{qbo.url}/connect/oauth2?")
    query = parse_qs(urlsplit(url).query)
    assert query["scope"] == ["com.intuit.quickbooks.accounting"]
    assert query["redirect_uri"] == [REDIRECT]

    callback = _consent(url)
    assert callback["state"] == "state-abc"
    assert callback["realmId"] == qbo.realm

    before = timezone.now()
    tokens = oauth.exchange_code(credentials, callback["code"], callback["realmId"])
    assert _api_ok(qbo, tokens.access_token)
    assert before + timedelta(minutes=59) < tokens.expires_at < timezone.now() + timedelta(minutes=61)
    assert tokens.refresh_expires_at is not None
    assert tokens.refresh_expires_at > timezone.now() + timedelta(days=100)

    # The code is single use.
    with pytest.raises(AuthError) as reused:
        oauth.exchange_code(credentials, callback["code"], callback["realmId"])
    assert reused.value.code == "invalid_grant"

    config = qbo.config()
    renewed = oauth.refresh(config, tokens.refresh_token)
    assert renewed.refresh_token != tokens.refresh_token  # rotated: the newest is returned
    assert renewed.access_token != tokens.access_token
    assert _api_ok(qbo, renewed.access_token)

    qbo.advance(61)  # past the grace in which the replaced refresh token still answers
    with pytest.raises(AuthError) as stale:
        oauth.refresh(config, tokens.refresh_token)
    assert stale.value.code == "invalid_grant"
    assert stale.value.status == 400

    newest = oauth.refresh(config, renewed.refresh_token)
    assert _api_ok(qbo, newest.access_token)


def test_revoked_tokens_give_auth_error_on_the_api_and_on_refresh(qbo: Qbo) -> None:
    made = make_rig(qbo)
    assert made.adapter.check_connection() == "QuickBooks company Sandbox Company_US_1"
    oauth.revoke(qbo.credentials(), qbo.creds["refresh_token"])

    with pytest.raises(AuthError):  # 401, refresh refused with invalid_grant
        made.adapter.count_items()
    assert made.tokens.refreshes == 0
    with pytest.raises(AuthError):
        oauth.refresh(qbo.config(), qbo.creds["refresh_token"])


def test_wrong_client_secret_is_an_auth_error(qbo: Qbo) -> None:
    wrong = replace(qbo.config(), credentials=qbo.credentials(client_secret="nope"))
    with pytest.raises(AuthError) as refused:
        oauth.refresh(wrong, qbo.creds["refresh_token"])
    assert refused.value.status == 401
    assert refused.value.code == "invalid_client"


def test_unreachable_or_failing_intuit_is_transient(qbo: Qbo) -> None:
    gone = qbo.credentials(environment="http://127.0.0.1:9/.well-known/openid-configuration")
    with pytest.raises(TransientChannelError):
        oauth.authorization_url(gone, "s")

    qbo.fault("error", count=5, path="/oauth2/v1/tokens/bearer")
    with pytest.raises(TransientChannelError) as failing:
        oauth.refresh(qbo.config(max_attempts=2), qbo.creds["refresh_token"])
    assert failing.value.status == 503

    # One failure, then the retry inside refresh gets through.
    requests.delete(f"{qbo.url}/_sandbox/faults", timeout=5)
    qbo.fault("error", count=1, path="/oauth2/v1/tokens/bearer")
    tokens = oauth.refresh(qbo.config(max_attempts=3), qbo.creds["refresh_token"])
    assert _api_ok(qbo, tokens.access_token)


def test_api_base_for_each_environment() -> None:
    assert oauth.api_base_for("sandbox") == "https://sandbox-quickbooks.api.intuit.com"
    assert oauth.api_base_for("production") == "https://quickbooks.api.intuit.com"
    assert oauth.api_base_for("Prod") == "https://quickbooks.api.intuit.com"
    assert (
        oauth.api_base_for("http://127.0.0.1:8765/.well-known/openid-configuration")
        == "http://127.0.0.1:8765"
    )
    with pytest.raises(PermanentChannelError):
        oauth.api_base_for("staging")
