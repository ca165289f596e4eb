"""The hub's own connect, callback and disconnect pages driving this package's oauth module
against the emulator: the admin approves, the tokens land on the row, disconnecting revokes them."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from django.urls import reverse

from channels.models import Connection, ConnectionKind, ConnectionStatus
from inventory_sync.models import Role
from tests.factories import MembershipFactory

from .conftest import Qbo

pytestmark = pytest.mark.django_db


def test_connect_approve_callback_then_disconnect(qbo: Qbo, client) -> None:
    membership = MembershipFactory(role=Role.OWNER)
    client.force_login(membership.user)

    started = client.post(
        reverse("quickbooks-connect"),
        {
            "name": "QuickBooks Online",
            "client_id": qbo.creds["client_id"],
            "client_secret": qbo.creds["client_secret"],
            "environment": qbo.discovery,
            "webhook_verifier": qbo.creds["webhook_verifier_token"],
        },
    )
    assert started.status_code == 302
    assert started["Location"].startswith(f"{qbo.url}/connect/oauth2?")
    connection = Connection.objects.get(merchant=membership.merchant, kind=ConnectionKind.QUICKBOOKS)
    assert connection.base_url == qbo.url  # the discovery URL's origin serves the API
    assert connection.status == ConnectionStatus.PENDING

    approved = requests.get(started["Location"], allow_redirects=False, timeout=5)  # Intuit's page
    callback = urlsplit(approved.headers["Location"])
    assert callback.path == reverse("quickbooks-callback")
    finished = client.get(f"{callback.path}?{callback.query}")
    assert finished.status_code == 302

    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.ACTIVE
    assert connection.external_account_id == qbo.realm
    assert "oauth_state" not in connection.credentials
    token = connection.credentials["access_token"]
    api = f"{qbo.url}/v3/company/{qbo.realm}/companyinfo/{qbo.realm}"
    assert requests.get(api, headers={"Authorization": f"Bearer {token}"}, timeout=5).status_code == 200

    client.post(reverse("connection-disconnect", kwargs={"connection_id": connection.pk}))
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.DISCONNECTED
    assert connection.credentials == {}
    assert requests.get(api, headers={"Authorization": f"Bearer {token}"}, timeout=5).status_code == 401
