"""The adapter under the hub's own callers: an item import, a Bill's webhook through the real
view and inbox processing, and the CDC job with its cursor."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from channels.adapters.quickbooks.adapter import QuickBooksAdapter
from channels.master import run_master_cdc
from channels.models import Connection, ConnectionKind, ConnectionRole, EventStatus, WebhookEvent
from channels.webhooks import process_event
from inventory_sync.models import Item
from inventory_sync.services.items import items_upsert_from_master
from tests.channels.sandbox.quickbooks.conftest import Receiver
from tests.factories import ConnectionFactory

from .conftest import Qbo, make_rig

pytestmark = pytest.mark.django_db


def _bill(item_id: str, qty: int) -> dict:
    return {
        "VendorRef": {"value": "1"},
        "Line": [
            {
                "DetailType": "ItemBasedExpenseLineDetail",
                "Amount": qty * 5,
                "ItemBasedExpenseLineDetail": {"ItemRef": {"value": item_id}, "Qty": qty, "UnitPrice": 5},
            }
        ],
    }


@pytest.fixture
def hub(qbo: Qbo) -> tuple[Connection, QuickBooksAdapter]:
    connection: Connection = ConnectionFactory(
        kind=ConnectionKind.QUICKBOOKS,
        role=ConnectionRole.MASTER,
        base_url=qbo.url,
        external_account_id=qbo.realm,
        credentials=qbo.credentials(),
        webhook_secret=qbo.creds["webhook_verifier_token"],
    )
    adapter = make_rig(qbo).adapter
    cursor = None
    for _ in range(5):  # the import, as channels/imports.py runs it
        page = adapter.fetch_items(cursor=cursor)
        items_upsert_from_master(merchant=connection.merchant_id, externals=page.items, source="test import")
        cursor = page.next_cursor
        if cursor is None:
            break
    return connection, adapter


def _on_hand(connection: Connection, sku: str) -> Decimal:
    return Item.objects.get(merchant_id=connection.merchant_id, sku=sku).master_on_hand


def test_a_bill_webhook_goes_through_the_view_and_the_inbox(qbo: Qbo, hub, client) -> None:
    connection, adapter = hub
    assert Item.objects.filter(merchant_id=connection.merchant_id).count() == 48
    assert _on_hand(connection, "BIN-MD-002") == 310
    receiver = Receiver()
    try:
        qbo.control("/webhook", {"url": receiver.url, "window_ms": 50, "format": "cloudevents"})
        qbo.create("Bill", _bill("3", 12))
        qbo.control("/webhooks/flush", {"timeout": 5})
        [(headers, body)] = receiver.wait(1)
    finally:
        receiver.close()
    url = reverse("webhook", kwargs={"platform": "quickbooks", "connection_uuid": connection.uuid})
    signed = {"intuit-signature": headers["intuit-signature"]}

    answer = client.post(url, data=body, content_type="application/json", headers=signed)
    duplicate = client.post(url, data=body, content_type="application/json", headers=signed)
    forged = client.post(url, data=body, content_type="application/json", headers={"intuit-signature": "x"})
    unsigned = client.post(url, data=body, content_type="application/json")

    assert answer.status_code == 200
    assert duplicate.json().get("duplicate") is True
    assert (forged.status_code, unsigned.status_code) == (401, 401)
    event = WebhookEvent.objects.get(connection=connection)
    assert event.topic == "qbo:Bill,Item"
    process_event(connection, adapter, event)
    event.refresh_from_db()
    assert (event.status, event.error) == (EventStatus.DONE, "")
    assert _on_hand(connection, "BIN-MD-002") == 322


def test_the_cdc_job_reads_changes_and_keeps_its_cursor(qbo: Qbo, hub) -> None:
    connection, adapter = hub
    qbo.advance(5)
    qbo.create("Bill", _bill("4", 8))
    run_master_cdc(connection=connection, adapter=adapter)
    connection.refresh_from_db()
    assert _on_hand(connection, "BIN-SM-003") == 428
    first_cursor = connection.cdc_cursor
    assert first_cursor is not None

    qbo.advance(5)
    qbo.create("Bill", _bill("4", 2))
    run_master_cdc(connection=connection, adapter=adapter)
    connection.refresh_from_db()
    assert _on_hand(connection, "BIN-SM-003") == 430
    assert connection.cdc_cursor > first_cursor
