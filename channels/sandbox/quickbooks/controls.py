"""The QuickBooks emulator's own control endpoints under /_sandbox/ (never faulted, never throttled).

- GET/POST /_sandbox/webhook: the webhook subscription, {"url", "format": "legacy"|"cloudevents",
  "window_ms", "retry_delays"}.
- POST /_sandbox/webhooks/flush: sends what waits in the batching window, then drains the kit's
  dispatcher (it replaces the kit's flush, which knows nothing of the window).
- GET /_sandbox/items: every item with Id, Name, Sku, Type, QtyOnHand, Active and SyncToken.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from werkzeug.wrappers import Request, Response

from channels.sandbox.kit import WebhookDispatcher, control, json_response

from .books import Books
from .webhooks import WebhookBatcher, WebhookConfig


class ControlEndpoints:
    lock: threading.RLock
    books: Books
    batcher: WebhookBatcher
    webhooks: WebhookDispatcher
    webhook_config: WebhookConfig

    def _configure_webhooks(self, values: dict[str, Any]) -> None:
        self.webhook_config.update(values)
        # The kit's dispatcher owns the retries; it reads this list on every failure.
        self.webhooks.retry_delays = list(self.webhook_config.retry_delays)

    @control("/webhook", methods=["GET", "POST"])
    def webhook_settings(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                values = json.loads(request.data or b"{}")
                if not isinstance(values, dict):
                    raise ValueError("body must be a JSON object")
                self.batcher.flush()
                with self.lock:
                    self._configure_webhooks(values)
            except (ValueError, TypeError) as exc:
                return json_response({"error": str(exc)}, status=400)
        return json_response({**self.batcher.settings(), "batches_sent": self.batcher.sent_batches})

    @control("/webhooks/flush", methods=["POST"])
    def webhooks_flush(self, request: Request) -> Response:
        # Replaces the kit's flush so that changes still waiting for their window go out first.
        self.batcher.flush()
        try:
            timeout = float(json.loads(request.data or b"{}").get("timeout", 10))
        except (ValueError, TypeError, AttributeError):
            return json_response({"error": "body must be a JSON object with a numeric timeout"}, status=400)
        drained = self.webhooks.flush(timeout)
        return json_response({"drained": drained, **self.webhooks.summary()})

    @control("/items")
    def items(self, request: Request) -> Response:
        with self.lock:
            rows = [
                {
                    "Id": item["Id"],
                    "Name": item.get("Name"),
                    "Sku": item.get("Sku"),
                    "Type": item.get("Type"),
                    "QtyOnHand": item.get("QtyOnHand"),
                    "Active": item.get("Active"),
                    "SyncToken": item.get("SyncToken"),
                }
                for item in sorted(self.books.objects["Item"].values(), key=lambda i: int(i["Id"]))
            ]
        return json_response({"items": rows})
