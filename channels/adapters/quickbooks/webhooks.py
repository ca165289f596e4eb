"""QuickBooks webhook deliveries: the signature, the de-duplication key, and the events.

Intuit signs the raw body: `intuit-signature` = base64(HMAC-SHA256(verifier token, body)). Two
body formats arrive, and both are accepted:

- legacy: {"eventNotifications": [{"realmId", "dataChangeEvent": {"entities": [{"name", "id",
  "operation", "lastUpdated"}]}}]}
- CloudEvents (mandatory from 2026-05-15): [{"specversion": "1.0", "id", "source",
  "type": "qbo.<entity>.<past-tense operation>.v1", "time", "intuitentityid",
  "intuitaccountid", "data"}]

Notifications carry only ids; the hub reads the objects afterwards. Deliveries are retried and can
arrive out of order, which is harmless because reads are versioned by LastUpdatedTime.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from channels.adapters.base import ChannelEvent, EventKind, InvalidWebhook, MalformedWebhook, WebhookDelivery

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "intuit-signature"
DELIVERY_KEY_MAX = 200
TOPIC_MAX = 120

# CloudEvents spell the entity in lower case; the API (and the hub) use QuickBooks' names.
ENTITY_NAMES = {
    name.lower(): name
    for name in (
        "Account", "Bill", "BillPayment", "Budget", "Class", "CreditMemo", "Currency", "Customer",
        "Department", "Deposit", "Employee", "Estimate", "Invoice", "InventoryAdjustment", "Item",
        "JournalCode", "JournalEntry", "Payment", "PaymentMethod", "Preferences", "Purchase",
        "PurchaseOrder", "RefundReceipt", "SalesReceipt", "TaxAgency", "Term", "TimeActivity",
        "Transfer", "Vendor", "VendorCredit",
    )
}  # fmt: skip
OPERATIONS = {
    "created": "Create",
    "updated": "Update",
    "deleted": "Delete",
    "voided": "Void",
    "merged": "Merge",
    "emailed": "Emailed",
}


def signature_of(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""


def verify(secret: str, headers: Mapping[str, str], body: bytes) -> WebhookDelivery:
    if not secret:
        raise InvalidWebhook("no webhook verifier token is configured for this QuickBooks connection")
    given = _header(headers, SIGNATURE_HEADER).strip()
    if not given:
        raise InvalidWebhook("the intuit-signature header is missing")
    expected = signature_of(secret, body)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise InvalidWebhook("the intuit-signature does not match the body")
    return WebhookDelivery(delivery_key=_delivery_key(body), topic=_topic(body))


def _load(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def _delivery_key(body: bytes) -> str:
    """CloudEvents have ids that stay the same across Intuit's retries: their ids joined (hashed
    when long). The legacy format has none, so a retried delivery is known by its exact body."""
    data = _load(body)
    if isinstance(data, list) and data and all(isinstance(e, dict) and e.get("id") for e in data):
        key = "ce:" + ",".join(str(e["id"]) for e in data)
        if len(key) <= DELIVERY_KEY_MAX:
            return key
        return "ce-sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _topic(body: bytes) -> str:
    try:
        events = parse(body, realm_id="")
    except MalformedWebhook:
        return "qbo:unparsable"
    names = sorted({e.entity for e in events})
    topic = "qbo:" + ",".join(names) if names else "qbo:empty"
    return topic if len(topic) <= TOPIC_MAX else topic[: TOPIC_MAX - 3] + "..."


def parse_time(value: Any) -> datetime | None:
    """Intuit's times: `Z`, `-08:00` or `-0800`, up to nanoseconds. None when absent or odd."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if "." in text:  # more than microseconds (CloudEvents send nanoseconds): cut to six digits
        head, _, rest = text.partition(".")
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}" if digits else head + rest
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _entity_name(text: str) -> str:
    return ENTITY_NAMES.get(text.replace("_", "").lower(), text[:1].upper() + text[1:])


def _event(entity: str, external_id: Any, operation: str, occurred: Any) -> ChannelEvent:
    if not entity or external_id in (None, ""):
        raise MalformedWebhook(
            f"a QuickBooks notification lacks its entity or id ({entity!r}, {external_id!r})"
        )
    return ChannelEvent(
        kind=EventKind.MASTER_CHANGE,
        topic=f"qbo:{entity}",
        external_id=str(external_id),
        occurred_at=parse_time(occurred),
        entity=entity,
        operation=operation,
    )


def _legacy(data: Mapping[str, Any], realm_id: str) -> list[ChannelEvent]:
    notifications = data.get("eventNotifications")
    if not isinstance(notifications, list):
        raise MalformedWebhook("eventNotifications is not a list")
    events = []
    for notification in notifications:
        if not isinstance(notification, dict):
            raise MalformedWebhook("an event notification is not an object")
        realm = str(notification.get("realmId", ""))
        if realm_id and realm and realm != realm_id:
            # Intuit sends every connected company's changes to the app's one URL.
            logger.info("skipped a notification for another company", extra={"realm": realm})
            continue
        change = notification.get("dataChangeEvent")
        entities = change.get("entities") if isinstance(change, dict) else None
        if not isinstance(entities, list):
            raise MalformedWebhook("dataChangeEvent.entities is not a list")
        for entity in entities:
            if not isinstance(entity, dict):
                raise MalformedWebhook("a changed entity is not an object")
            events.append(
                _event(
                    _entity_name(str(entity.get("name", ""))),
                    entity.get("id"),
                    str(entity.get("operation", "")),
                    entity.get("lastUpdated"),
                )
            )
    return events


def _cloudevents(data: list[Any], realm_id: str) -> list[ChannelEvent]:
    events = []
    for item in data:
        if not isinstance(item, dict):
            raise MalformedWebhook("a CloudEvent is not an object")
        parts = str(item.get("type", "")).split(".")
        if len(parts) < 3 or parts[0] != "qbo":
            raise MalformedWebhook(f"unknown CloudEvent type {item.get('type')!r}")
        realm = str(item.get("intuitaccountid", ""))
        if realm_id and realm and realm != realm_id:
            logger.info("skipped a CloudEvent for another company", extra={"realm": realm})
            continue
        operation = OPERATIONS.get(parts[2].lower(), parts[2][:1].upper() + parts[2][1:])
        events.append(_event(_entity_name(parts[1]), item.get("intuitentityid"), operation, item.get("time")))
    return events


def parse(body: bytes, *, realm_id: str) -> list[ChannelEvent]:
    data = _load(body)
    if isinstance(data, dict) and "eventNotifications" in data:
        return _legacy(data, realm_id)
    if isinstance(data, list):
        return _cloudevents(data, realm_id)
    raise MalformedWebhook("the body is neither Intuit's eventNotifications nor a CloudEvents array")
