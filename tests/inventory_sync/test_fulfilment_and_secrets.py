"""The first-in-first-out in-stock view, and secrets encrypted at rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from channels.models import Connection
from inventory_sync.selectors import fulfilment_view
from inventory_sync.services import stock
from tests.factories import ConnectionFactory, MerchantFactory, OrderFactory, OrderLineFactory, stocked_item

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def order_with(shop, at, *lines):
    order = OrderFactory(connection=shop, channel_created_at=at, channel_updated_at=at)
    created = [OrderLineFactory(order=order, item=item, quantity=qty) for item, qty in lines]
    stock.reserve_lines(lines=created, source="test")
    return order


def test_orders_are_served_oldest_first_and_a_short_order_takes_nothing():
    merchant = MerchantFactory()
    shop = ConnectionFactory(merchant=merchant)
    bins = stocked_item(merchant=merchant, on_hand=5)
    lids = stocked_item(merchant=merchant, on_hand=1)

    first = order_with(shop, T0, (bins, 3))
    second = order_with(shop, T0 + timedelta(minutes=1), (bins, 1), (lids, 2))  # lids short
    third = order_with(shop, T0 + timedelta(minutes=2), (bins, 2))  # fits: second took nothing
    fourth = order_with(shop, T0 + timedelta(minutes=3), (bins, 1))  # nothing left

    view = fulfilment_view(merchant=merchant)

    assert list(view) == [first.pk, second.pk, third.pk, fourth.pk]
    assert [view[o.pk].in_stock for o in (first, second, third, fourth)] == [True, False, True, False]
    assert view[second.pk].short_items == (lids.pk,)
    narrowed = fulfilment_view(merchant=merchant, order_ids={third.pk})
    assert narrowed == {third.pk: view[third.pk]}


def test_connection_secrets_are_encrypted_at_rest():
    shop = ConnectionFactory(credentials={"access_token": "shpat_very_secret"}, webhook_secret="whsec_hush")
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials, webhook_secret FROM channels_connection WHERE id = %s", [shop.pk])
        raw_credentials, raw_secret = cursor.fetchone()
    assert "shpat_very_secret" not in raw_credentials and raw_credentials.startswith("fernet:")
    assert "whsec_hush" not in raw_secret and raw_secret.startswith("fernet:")
    loaded = Connection.objects.get(pk=shop.pk)
    assert loaded.credentials == {"access_token": "shpat_very_secret"}
    assert loaded.webhook_secret == "whsec_hush"


def test_a_rotated_encryption_key_still_reads_old_values(settings):
    from cryptography.fernet import Fernet

    shop = ConnectionFactory(webhook_secret="before-rotation")
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.FIELD_ENCRYPTION_KEYS]
    assert Connection.objects.get(pk=shop.pk).webhook_secret == "before-rotation"
