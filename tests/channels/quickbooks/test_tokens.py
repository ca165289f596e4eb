"""Tokens kept on the Connection row: refreshed transparently, rotated refresh tokens stored,
revocation shown to the merchant, and two workers refreshing at once (PostgreSQL row locks)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.db import connection as db_connection
from django.utils import timezone

from channels.adapters.base import AuthError
from channels.adapters.quickbooks import oauth
from channels.adapters.quickbooks.adapter import build_adapter
from channels.connections import ConnectionTokenProvider, adapter_for, config_for
from channels.models import Connection, ConnectionKind, ConnectionRole, ConnectionStatus
from tests.factories import ConnectionFactory

from .conftest import Qbo


def _connection(qbo: Qbo, *, expired: bool) -> Connection:
    expires = timezone.now() + (timedelta(minutes=-10) if expired else timedelta(minutes=50))
    connection: Connection = ConnectionFactory(
        kind=ConnectionKind.QUICKBOOKS,
        role=ConnectionRole.MASTER,
        base_url=qbo.url,
        external_account_id=qbo.realm,
        credentials=qbo.credentials(expires_at=expires.isoformat(), refresh_expires_at=""),
        webhook_secret=qbo.creds["webhook_verifier_token"],
    )
    return connection


def _platform_refresh_token(qbo: Qbo) -> str:
    """The refresh token the emulator now holds for the seeded connection (the newest)."""
    return str(requests.get(f"{qbo.url}/_sandbox/credentials", timeout=5).json()["refresh_token"])


@pytest.mark.django_db
def test_an_expired_token_on_the_row_is_refreshed_and_the_rotated_refresh_token_stored(qbo: Qbo) -> None:
    connection = _connection(qbo, expired=True)
    qbo.advance(3601)
    adapter = adapter_for(connection)
    assert adapter.check_connection() == "QuickBooks company Sandbox Company_US_1"
    credentials = Connection.objects.get(pk=connection.pk).credentials
    assert credentials["refresh_token"] == _platform_refresh_token(qbo) != qbo.creds["refresh_token"]
    assert credentials["access_token"] != qbo.creds["access_token"]
    assert qbo.state()["calls"]["token"] == 1


@pytest.mark.django_db
def test_a_token_the_platform_refuses_early_is_refreshed_on_the_401(qbo: Qbo) -> None:
    connection = _connection(qbo, expired=False)  # the row thinks it is fresh
    qbo.advance(3601)  # ...but the platform's clock says it has expired
    assert adapter_for(connection).count_items() == 48
    state = qbo.state()
    assert state["calls"]["token"] == 1
    assert state["calls"]["query"] == 2  # the refused call, then the retry


@pytest.mark.django_db
def test_a_revoked_connection_is_an_auth_error_and_needs_attention(qbo: Qbo) -> None:
    connection = _connection(qbo, expired=False)
    oauth.revoke(connection.credentials, connection.credentials["refresh_token"])
    with pytest.raises(AuthError):
        adapter_for(connection).count_items()
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.NEEDS_ATTENTION
    assert "connect the account again" in connection.last_error


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_refreshing_at_once_both_end_with_a_working_token(qbo: Qbo) -> None:
    connection = _connection(qbo, expired=True)
    qbo.advance(3601)
    qbo.control("/knobs", {"latency_ms": 150})  # a slow token endpoint widens the race
    barrier = threading.Barrier(2)
    results: dict[int, Any] = {}
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            provider = ConnectionTokenProvider(connection.pk, oauth.refresh)
            adapter = build_adapter(config_for(connection), provider)
            barrier.wait(timeout=10)
            token = provider.access_token()  # both see the expired token and go for the lock
            results[index] = (token, adapter.check_connection())
        except BaseException as exc:
            errors.append(exc)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    qbo.control("/knobs", {"latency_ms": 0})

    assert errors == []
    assert results[0][0] == results[1][0]  # the second worker took what the first stored
    assert {results[0][1], results[1][1]} == {"QuickBooks company Sandbox Company_US_1"}
    assert qbo.state()["calls"]["token"] == 1  # one refresh: the refresh token was spent once
    stored = Connection.objects.get(pk=connection.pk).credentials
    assert stored["access_token"] == results[0][0]
    assert stored["refresh_token"] == _platform_refresh_token(qbo) != qbo.creds["refresh_token"]

    # Long after (the old refresh token is dead by now), the stored one still refreshes.
    qbo.advance(3601)
    assert adapter_for(Connection.objects.get(pk=connection.pk)).count_items() == 48
    later = Connection.objects.get(pk=connection.pk).credentials
    assert later["refresh_token"] == _platform_refresh_token(qbo) != stored["refresh_token"]
    assert qbo.state()["calls"]["token"] == 2
