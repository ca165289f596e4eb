"""Webhook notifications in both formats, signed, batched per window, retried, and the knobs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import requests

from .conftest import Qbo, Receiver, sale_line


def _verify(qbo: Qbo, headers: dict[str, str], body: bytes) -> None:
    key = qbo.creds["webhook_verifier_token"].encode()
    expected = base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()
    assert hmac.compare_digest(headers["intuit-signature"], expected)


def _entities(body: bytes) -> list[tuple[str, str, str]]:
    [notification] = json.loads(body)["eventNotifications"]
    return [(e["name"], e["id"], e["operation"]) for e in notification["dataChangeEvent"]["entities"]]


def _subscribe(qbo: Qbo, receiver: Receiver, **settings: Any) -> None:
    qbo.control("/webhook", {"url": receiver.url, "window_ms": 100, **settings})


def test_legacy_notification_is_signed_and_batches_the_window(qbo: Qbo, receiver: Receiver) -> None:
    _subscribe(qbo, receiver)
    receipt = qbo.ok("SalesReceipt", {"Line": [sale_line("2", 1, 18), sale_line("3", 1, 14)]})
    item = qbo.ok("Item", {"Id": "5", "SyncToken": "0", "sparse": True, "UnitPrice": 4})
    [(headers, body)] = receiver.wait(1)
    _verify(qbo, headers, body)
    assert headers["content-type"] == "application/json"
    payload = json.loads(body)
    notification = payload["eventNotifications"][0]
    assert notification["realmId"] == qbo.realm
    assert _entities(body) == [
        ("SalesReceipt", receipt["Id"], "Create"),
        ("Item", "2", "Update"),
        ("Item", "3", "Update"),
        ("Item", item["Id"], "Update"),
    ]
    assert (
        notification["dataChangeEvent"]["entities"][0]["lastUpdated"][:19]
        == receipt["MetaData"]["CreateTime"][:19]
    )

    time.sleep(0.15)  # the window closed; the next change starts a new notification
    qbo.ok("SalesReceipt", {"Id": receipt["Id"], "SyncToken": "0"}, operation="delete")
    calls = receiver.wait(2)
    assert len(calls) == 2
    assert ("SalesReceipt", receipt["Id"], "Delete") in _entities(calls[1][1])


def test_cloudevents_notification(qbo: Qbo, receiver: Receiver) -> None:
    _subscribe(qbo, receiver, format="cloudevents")
    invoice = qbo.ok("Invoice", {"CustomerRef": {"value": "1"}, "Line": [sale_line("2", 1, 18)]})
    qbo.ok("Invoice", {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]}, operation="void")
    qbo.control("/webhooks/flush", {"timeout": 5})
    [(headers, body)] = receiver.wait(1)
    _verify(qbo, headers, body)
    events = json.loads(body)
    assert [e["type"] for e in events] == [
        "qbo.invoice.created.v1",
        "qbo.item.updated.v1",
        "qbo.invoice.voided.v1",
        "qbo.item.updated.v1",
    ]
    first = events[0]
    assert first["specversion"] == "1.0"
    assert first["datacontenttype"] == "application/json"
    assert first["intuitentityid"] == invoice["Id"]
    assert first["intuitaccountid"] == qbo.realm
    assert first["time"].endswith("Z")
    assert len({e["id"] for e in events}) == 4
    assert set(first) == {
        "specversion",
        "id",
        "source",
        "type",
        "datacontenttype",
        "time",
        "intuitentityid",
        "intuitaccountid",
        "data",
    }


def test_failed_delivery_is_retried(qbo: Qbo) -> None:
    flaky = Receiver(statuses=[500, 503])
    try:
        _subscribe(qbo, flaky, retry_delays=[0.05, 0.1])
        qbo.ok("SalesReceipt", {"Line": [sale_line("2", 1, 18)]})
        [(headers, body)] = flaky.wait(1, timeout=8)
        _verify(qbo, headers, body)
        assert flaky.attempts == 3
    finally:
        flaky.close()


def test_no_subscription_no_delivery_and_customers_are_not_notified(qbo: Qbo, receiver: Receiver) -> None:
    qbo.ok("SalesReceipt", {"Line": [sale_line("2", 1, 18)]})
    _subscribe(qbo, receiver)
    qbo.ok("Customer", {"DisplayName": "Walk-in"})
    qbo.control("/webhooks/flush", {"timeout": 2})
    assert receiver.wait(1, timeout=0.3) == []


def test_duplicate_knob_sends_the_same_delivery_twice(qbo: Qbo, receiver: Receiver) -> None:
    _subscribe(qbo, receiver)
    qbo.control("/knobs", {"webhook_duplicate_rate": 1, "webhook_reorder_window_ms": 50})
    qbo.ok("SalesReceipt", {"Line": [sale_line("2", 1, 18)]})
    calls = receiver.wait(2)
    assert len(calls) == 2
    assert calls[0][1] == calls[1][1]


def test_drop_knob_loses_the_delivery(qbo: Qbo, receiver: Receiver) -> None:
    _subscribe(qbo, receiver)
    qbo.control("/knobs", {"webhook_drop_rate": 1})
    qbo.ok("SalesReceipt", {"Line": [sale_line("2", 1, 18)]})
    flushed = qbo.control("/webhooks/flush", {"timeout": 2})
    assert flushed["dropped"] == 1
    assert receiver.wait(1, timeout=0.3) == []


def test_reorder_knob_still_delivers_everything(qbo: Qbo, receiver: Receiver) -> None:
    _subscribe(qbo, receiver, window_ms=0)
    qbo.control("/knobs", {"webhook_reorder": True, "webhook_reorder_window_ms": 150, "seed": 7})
    ids = []
    for _ in range(5):
        ids.append(qbo.ok("SalesReceipt", {"Line": [sale_line("2", 1, 18)]})["Id"])
        qbo.control("/webhooks/flush", {"timeout": 0})
    calls = receiver.wait(5)
    delivered = [e[1] for _, body in calls for e in _entities(body) if e[0] == "SalesReceipt"]
    assert sorted(delivered) == sorted(ids)


def test_bad_webhook_settings_are_refused(qbo: Qbo) -> None:
    for body in (
        {"format": "xml"},
        {"window_ms": -1},
        {"colour": "red"},
        [1],
        {"retry_delays": [-1]},
        {"url": 5},
    ):
        assert requests.post(f"{qbo.url}/_sandbox/webhook", json=body, timeout=5).status_code == 400
