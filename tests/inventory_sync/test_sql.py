"""`insert_objects` writes what `bulk_create` would (COPY on PostgreSQL, bulk_create elsewhere)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict

from channels.models import WebhookEvent
from inventory_sync.models import MovementKind, Reservation, StockMovement
from inventory_sync.sql import insert_objects
from tests.factories import ConnectionFactory, MerchantFactory, OrderLineFactory, stocked_item

pytestmark = pytest.mark.django_db


def movement(item, reservation=None, **fields) -> StockMovement:
    values = {
        "merchant_id": item.merchant_id,
        "item": item,
        "kind": MovementKind.RESERVE,
        "reserved_delta": Decimal("2.5"),
        "on_hand_after": Decimal("10.1234"),
        "reserved_after": Decimal("2.5"),
        "source": "test · ünïcode, tab\there",
        "idempotency_key": "k",
        "reservation": reservation,
    }
    return StockMovement(**{**values, **fields})


def test_rows_read_back_as_the_orm_writes_them_and_get_their_keys():
    item = stocked_item(merchant=MerchantFactory(), on_hand=10)
    by_orm = movement(item, idempotency_key="k0")
    by_orm.save()
    copied = [movement(item), movement(item, idempotency_key="k2", on_hand_delta=Decimal("-1"))]

    insert_objects(copied)

    assert all(m.pk for m in copied)
    assert len({m.pk for m in copied} | {by_orm.pk}) == 3
    stored = {m.pk: m for m in StockMovement.objects.filter(pk__in=[m.pk for m in copied])}
    first = stored[copied[0].pk]
    skip = ["id", "created_at", "idempotency_key"]
    assert model_to_dict(first, exclude=skip) == model_to_dict(
        StockMovement.objects.get(pk=by_orm.pk), exclude=skip
    )
    assert first.created_at is not None
    assert first.created_at == copied[0].created_at
    assert stored[copied[1].pk].on_hand_delta == Decimal("-1")


def test_fields_that_need_django_preparing_are_prepared():
    connection = ConnectionFactory()
    event = WebhookEvent(
        merchant_id=connection.merchant_id,
        connection=connection,
        delivery_key="d-1",
        topic="orders/create",
        headers={"x-shopify-topic": "orders/create", "nested": {"a": [1, 2]}},
        body='{"id": 1}',
    )

    insert_objects([event])

    assert WebhookEvent.objects.get(pk=event.pk).headers == event.headers


def test_a_duplicate_raises_the_orms_integrity_error_and_writes_nothing():
    item = stocked_item(merchant=MerchantFactory(), on_hand=10)
    line = OrderLineFactory(order__connection=ConnectionFactory(merchant=item.merchant), item=item)

    def reservation():
        return Reservation(merchant_id=item.merchant_id, line=line, item=item, quantity=Decimal(1))

    insert_objects([reservation()])
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_objects([reservation()])
    assert Reservation.objects.filter(line=line).count() == 1
