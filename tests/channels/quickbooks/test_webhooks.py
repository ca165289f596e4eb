"""Webhooks: Intuit's recorded payloads in both formats, real signed deliveries from the emulator,
and what is refused (bad or missing signatures) or kept as malformed (bodies that do not parse)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from channels.adapters.base import ChannelEvent, EventKind, InvalidWebhook, MalformedWebhook
from channels.adapters.quickbooks.adapter import QuickBooksAdapter
from channels.adapters.quickbooks.webhooks import signature_of
from tests.channels.sandbox.quickbooks.conftest import Receiver

from .conftest import Qbo

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "verifier-token-from-the-dashboard"


def _adapter(qbo: Qbo, realm: str = "310687") -> QuickBooksAdapter:
    return QuickBooksAdapter(replace(qbo.config(), webhook_secret=SECRET, account_id=realm))


def _signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"intuit-signature": signature_of(secret, body), "content-type": "application/json"}


def test_intuits_recorded_legacy_payload(qbo: Qbo) -> None:
    adapter = _adapter(qbo)
    body = (FIXTURES / "intuit_legacy_notification.json").read_bytes()
    delivery = adapter.verify_webhook(_signed(body), body)
    assert delivery.delivery_key == "sha256:" + hashlib.sha256(body).hexdigest()
    assert delivery.topic == "qbo:Account"
    assert adapter.parse_webhook({}, body) == [
        ChannelEvent(
            kind=EventKind.MASTER_CHANGE,
            topic="qbo:Account",
            external_id="1234",
            occurred_at=datetime(2025, 9, 8, 20, 52, 31, 657000, tzinfo=UTC),
            entity="Account",
            operation="Create",
        )
    ]


def test_intuits_recorded_cloudevents_payload(qbo: Qbo) -> None:
    adapter = _adapter(qbo)
    body = (FIXTURES / "intuit_cloudevents_notification.json").read_bytes()
    delivery = adapter.verify_webhook({"Intuit-Signature": signature_of(SECRET, body)}, body)
    assert delivery.delivery_key == "ce:88cd52aa-33b6-4351-9aa4-47572edbd068"
    assert delivery.topic == "qbo:Account"
    [event] = adapter.parse_webhook({}, body)
    assert (event.kind, event.entity, event.external_id, event.operation) == (
        EventKind.MASTER_CHANGE,
        "Account",
        "1234",
        "Create",
    )
    assert event.occurred_at == datetime(2025, 9, 10, 21, 31, 25, 179851, tzinfo=UTC)  # nanoseconds cut


def _deliveries(qbo: Qbo, fmt: str) -> list[tuple[dict[str, str], bytes]]:
    receiver = Receiver()
    try:
        qbo.control("/webhook", {"url": receiver.url, "window_ms": 50, "format": fmt})
        qbo.create(
            "SalesReceipt",
            {
                "Line": [
                    {
                        "DetailType": "SalesItemLineDetail",
                        "Amount": 36,
                        "SalesItemLineDetail": {"ItemRef": {"value": "2"}, "Qty": 2},
                    }
                ]
            },
        )
        qbo.control("/webhooks/flush", {"timeout": 5})
        return receiver.wait(1)
    finally:
        receiver.close()


@pytest.mark.parametrize("fmt", ["legacy", "cloudevents"])
def test_signed_deliveries_from_the_emulator_in_both_formats(qbo: Qbo, fmt: str) -> None:
    adapter = QuickBooksAdapter(qbo.config())
    [(headers, body)] = _deliveries(qbo, fmt)
    delivery = adapter.verify_webhook(headers, body)
    assert delivery.topic == "qbo:Item,SalesReceipt"
    assert delivery.delivery_key.startswith("ce:" if fmt == "cloudevents" else "sha256:")
    events = adapter.parse_webhook(headers, body)
    assert [(e.entity, e.operation) for e in events] == [("SalesReceipt", "Create"), ("Item", "Update")]
    assert events[1].external_id == "2"
    assert all(e.kind == EventKind.MASTER_CHANGE and e.occurred_at is not None for e in events)
    assert all(e.occurred_at.utcoffset() is not None for e in events if e.occurred_at)


def test_missing_or_wrong_signatures_are_refused(qbo: Qbo) -> None:
    adapter = _adapter(qbo)
    body = (FIXTURES / "intuit_legacy_notification.json").read_bytes()
    with pytest.raises(InvalidWebhook):
        adapter.verify_webhook({}, body)
    with pytest.raises(InvalidWebhook):
        adapter.verify_webhook(_signed(body, "another-token"), body)
    with pytest.raises(InvalidWebhook):
        adapter.verify_webhook(_signed(body), body + b" ")  # the body changed after signing
    unconfigured = QuickBooksAdapter(replace(qbo.config(), webhook_secret=""))
    with pytest.raises(InvalidWebhook):
        unconfigured.verify_webhook(_signed(body), body)


@pytest.mark.parametrize(
    "body",
    [
        b"not json at all",
        b'{"something": "else"}',
        b'{"eventNotifications": "nope"}',
        b'{"eventNotifications": [{"realmId": "310687", "dataChangeEvent": {"entities": [{"name": "Item"}]}}]}',
        b'[{"specversion": "1.0", "id": "x", "type": "payroll.employee.updated.v1", "intuitentityid": "1"}]',
        b'[{"specversion": "1.0", "id": "x", "type": "qbo.item.updated.v1"}]',
        b"[1, 2]",
    ],
)
def test_signed_bodies_that_cannot_be_understood_are_malformed(qbo: Qbo, body: bytes) -> None:
    adapter = _adapter(qbo)
    delivery = adapter.verify_webhook(_signed(body), body)  # stored: the signature is right
    assert delivery.delivery_key
    with pytest.raises(MalformedWebhook):
        adapter.parse_webhook({}, body)


def test_other_companies_are_skipped_and_long_keys_hashed(qbo: Qbo) -> None:
    adapter = _adapter(qbo, realm="999")
    body = (FIXTURES / "intuit_legacy_notification.json").read_bytes()
    assert adapter.parse_webhook({}, body) == []

    events = [
        {
            "specversion": "1.0",
            "id": f"id-{n:040d}",
            "type": "qbo.salesreceipt.voided.v1",
            "time": "2026-01-02T03:04:05Z",
            "intuitentityid": str(n),
            "intuitaccountid": "999",
        }
        for n in range(10)
    ]
    body = json.dumps(events).encode()
    delivery = adapter.verify_webhook(_signed(body), body)
    assert delivery.delivery_key.startswith("ce-sha256:") and len(delivery.delivery_key) <= 200
    parsed = adapter.parse_webhook({}, body)
    assert {(e.entity, e.operation) for e in parsed} == {("SalesReceipt", "Void")}
    assert [e.external_id for e in parsed] == [str(n) for n in range(10)]


def test_a_connection_without_a_company_yet_still_verifies_but_cannot_call(qbo: Qbo) -> None:
    from channels.adapters.base import PermanentChannelError

    pending = QuickBooksAdapter(replace(qbo.config(), webhook_secret=SECRET, account_id=""))
    body = (FIXTURES / "intuit_legacy_notification.json").read_bytes()
    assert pending.verify_webhook(_signed(body), body).topic == "qbo:Account"
    with pytest.raises(PermanentChannelError, match="no company"):
        pending.check_connection()
