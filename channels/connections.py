"""From a Connection row to a working adapter, and the OAuth tokens kept fresh on that row."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channels.adapters.base import (
    Adapter,
    AdapterConfig,
    AuthError,
    ChannelAdapter,
    MasterAdapter,
    OAuthTokens,
    TokenRefresher,
    platform,
)
from channels.models import Connection, ConnectionStatus, ProductCodeType

logger = logging.getLogger(__name__)

# Refresh a little before expiry so a call never starts with a token about to lapse.
REFRESH_MARGIN = timedelta(minutes=5)


def config_for(connection: Connection) -> AdapterConfig:
    return AdapterConfig(
        kind=connection.kind,
        base_url=connection.base_url,
        credentials=dict(connection.credentials or {}),
        webhook_secret=connection.webhook_secret,
        account_id=connection.external_account_id,
        location_id=connection.location_id,
        options={
            "timeout": settings.HTTP_TIMEOUT_SECONDS,
            # Shopify order lines carry no barcode: a barcode-matched connection looks them up.
            "order_barcodes": connection.product_code_type == ProductCodeType.BARCODE,
        },
    )


def adapter_for(connection: Connection) -> Adapter:
    spec = platform(connection.kind)
    tokens = ConnectionTokenProvider(connection.pk, spec.refresher) if spec.refresher else None
    return spec.factory(config_for(connection), tokens)


def channel_adapter(connection: Connection) -> ChannelAdapter:
    adapter = adapter_for(connection)
    assert isinstance(adapter, ChannelAdapter), f"{connection.kind} is not a selling channel"
    return adapter


def master_adapter(connection: Connection) -> MasterAdapter:
    adapter = adapter_for(connection)
    assert isinstance(adapter, MasterAdapter), f"{connection.kind} is not an item master"
    return adapter


def _parse_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if not value:
        return datetime.min.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value))


def store_tokens(credentials: dict[str, Any], tokens: OAuthTokens) -> dict[str, Any]:
    return {
        **credentials,
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "expires_at": tokens.expires_at.isoformat(),
        "refresh_expires_at": tokens.refresh_expires_at.isoformat() if tokens.refresh_expires_at else "",
    }


class ConnectionTokenProvider:
    """TokenProvider over a Connection row. Refreshing takes the row lock, re-reads, and only
    refreshes if nobody else did meanwhile; the newest refresh token is always the one stored
    (a refresh may rotate it, and the old one soon stops working). The refresh call is made
    while holding the lock on purpose: two workers must not both spend the same refresh token.
    """

    def __init__(self, connection_id: int, refresher: TokenRefresher) -> None:
        self.connection_id = connection_id
        self.refresher = refresher

    def access_token(self) -> str:
        credentials = Connection.objects.get(pk=self.connection_id).credentials or {}
        if _parse_time(credentials.get("expires_at")) - timezone.now() > REFRESH_MARGIN:
            return str(credentials["access_token"])
        return self._refresh(stale=str(credentials.get("access_token", "")))

    def refreshed_access_token(self, rejected: str) -> str:
        return self._refresh(stale=rejected)

    def _refresh(self, *, stale: str) -> str:
        try:
            with transaction.atomic():
                connection = Connection.objects.select_for_update().get(pk=self.connection_id)
                credentials = dict(connection.credentials or {})
                current = str(credentials.get("access_token", ""))
                fresh_enough = _parse_time(credentials.get("expires_at")) - timezone.now() > REFRESH_MARGIN
                if current and current != stale and fresh_enough:
                    return current  # another worker refreshed while we waited for the lock
                if not credentials.get("refresh_token"):
                    raise AuthError("no refresh token stored: connect the account again")
                tokens = self.refresher(
                    config_for_row(connection, credentials), str(credentials["refresh_token"])
                )
                connection.credentials = store_tokens(credentials, tokens)
                connection.save(update_fields=["credentials", "updated_at"])
        except AuthError:
            Connection.objects.filter(pk=self.connection_id).update(
                status=ConnectionStatus.NEEDS_ATTENTION,
                last_error="The authorisation was refused or revoked: connect the account again.",
                last_error_at=timezone.now(),
            )
            raise
        logger.info("refreshed OAuth tokens", extra={"connection": self.connection_id})
        return tokens.access_token


def config_for_row(connection: Connection, credentials: dict[str, Any]) -> AdapterConfig:
    config = config_for(connection)
    return AdapterConfig(
        kind=config.kind,
        base_url=config.base_url,
        credentials=credentials,
        webhook_secret=config.webhook_secret,
        account_id=config.account_id,
        location_id=config.location_id,
        options=config.options,
    )
