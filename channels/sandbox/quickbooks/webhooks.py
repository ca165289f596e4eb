"""QuickBooks webhook notifications: batched, signed, in the legacy or the CloudEvents format.

Every change to an Item or a transaction is queued; whatever is queued when the window
(`window_ms`, default 500) closes goes out as ONE POST, as QuickBooks batches its
notifications. Legacy body:

    {"eventNotifications": [{"realmId": "...", "dataChangeEvent": {"entities": [
        {"name": "Item", "id": "1", "operation": "Update", "lastUpdated": "2026-03-02T09:14:05-0800"}]}}]}

CloudEvents body (Intuit's 2025 format): a JSON array of
{"specversion": "1.0", "id", "source", "type": "qbo.item.updated.v1", "datacontenttype",
"time", "intuitentityid", "intuitaccountid", "data": {}}. Both carry `intuit-signature`:
base64(HMAC-SHA256(verifier token, raw body)). Failed deliveries are retried by the kit's
dispatcher after the platform's retry delays. Intuit documents no `source` value; this uses
"intuit.quickbooks", and `data` stays empty as in Intuit's examples.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from channels.sandbox.kit import Delivery

from .formats import COMPANY_TZ

FORMATS = ("legacy", "cloudevents")
_PAST = {"Create": "created", "Update": "updated", "Delete": "deleted", "Void": "voided", "Merge": "merged"}


@dataclass
class WebhookConfig:
    url: str | None = None
    format: str = "legacy"
    window_ms: float = 500.0
    retry_delays: tuple[float, ...] = (0.5, 1.0, 2.0)  # seconds between attempts after a failure

    def update(self, values: dict[str, Any]) -> None:
        unknown = set(values) - {"url", "format", "window_ms", "retry_delays"}
        if unknown:
            raise ValueError(f"unknown webhook settings {sorted(unknown)}")
        if values.get("format", self.format) not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}")
        window = float(values.get("window_ms", self.window_ms))
        if window < 0:
            raise ValueError("window_ms must not be negative")
        delays = tuple(float(d) for d in values.get("retry_delays", self.retry_delays))
        if any(d < 0 for d in delays):
            raise ValueError("retry_delays must not be negative")
        self.retry_delays = delays
        url = values.get("url", self.url) or None
        if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
            raise ValueError("url must be an http(s) URL")
        self.url = url
        self.format = values.get("format", self.format)
        self.window_ms = window


def sign(token: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(token.encode(), body, hashlib.sha256).digest()).decode()


def _legacy_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, COMPANY_TZ).strftime("%Y-%m-%dT%H:%M:%S%z")


def _cloud_time(epoch: float) -> str:
    when = datetime.fromtimestamp(epoch, UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class WebhookBatcher:
    """Collects changes for one window, then hands one signed Delivery to `submit`."""

    def __init__(
        self, *, realm_id: str, verifier_token: str, config: WebhookConfig, submit: Callable[[Delivery], None]
    ) -> None:
        self.realm_id = realm_id
        self.verifier_token = verifier_token
        self.config = config
        self._submit = submit
        self._lock = threading.Lock()
        self._pending: list[tuple[str, str, str, float]] = []
        self._timer: threading.Timer | None = None
        self.sent_batches = 0

    def notify(self, changes: list[tuple[str, str, str, float]]) -> None:
        if not changes or not self.config.url:
            return
        with self._lock:
            self._pending.extend(changes)
            if self._timer is None:
                self._timer = threading.Timer(self.config.window_ms / 1000.0, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        """Send what is queued now (the window timer calls this; so does the flush control)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            pending, self._pending = self._pending, []
            url, fmt = self.config.url, self.config.format
        if not pending or not url:
            return
        body, topic = (
            (self._cloudevents(pending), "cloudevents")
            if fmt == "cloudevents"
            else (self._legacy(pending), "eventNotifications")
        )
        headers = {"Content-Type": "application/json", "intuit-signature": sign(self.verifier_token, body)}
        self.sent_batches += 1
        self._submit(Delivery(url=url, body=body, headers=headers, event_id=str(uuid.uuid4()), topic=topic))

    def clear(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._pending = []
            self.sent_batches = 0

    def _legacy(self, pending: list[tuple[str, str, str, float]]) -> bytes:
        entities = [
            {"name": entity, "id": obj_id, "operation": op, "lastUpdated": _legacy_time(epoch)}
            for entity, obj_id, op, epoch in pending
        ]
        body = {"eventNotifications": [{"realmId": self.realm_id, "dataChangeEvent": {"entities": entities}}]}
        return json.dumps(body).encode()

    def _cloudevents(self, pending: list[tuple[str, str, str, float]]) -> bytes:
        events = [
            {
                "specversion": "1.0",
                "id": str(uuid.uuid4()),
                "source": "intuit.quickbooks",
                "type": f"qbo.{entity.lower()}.{_PAST.get(op, op.lower())}.v1",
                "datacontenttype": "application/json",
                "time": _cloud_time(epoch),
                "intuitentityid": obj_id,
                "intuitaccountid": self.realm_id,
                "data": {},
            }
            for entity, obj_id, op, epoch in pending
        ]
        return json.dumps(events).encode()

    def settings(self) -> dict[str, Any]:
        return {**asdict(self.config), "formats": list(FORMATS)}
