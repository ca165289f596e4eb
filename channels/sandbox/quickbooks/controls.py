"""The QuickBooks emulator's own control endpoints under /_sandbox/ (never faulted, never throttled).

- GET/POST /_sandbox/webhook: the webhook subscription, {"url", "format": "legacy"|"cloudevents",
  "window_ms", "retry_delays"}.
- POST /_sandbox/webhooks/flush: sends what waits in the batching window, then drains the kit's
  dispatcher (it replaces the kit's flush, which knows nothing of the window).
- GET /_sandbox/items: every item with Id, Name, Sku, Type, QtyOnHand, Active and SyncToken.
- POST /_sandbox/items: seed many items at once for benchmarks and import tests, through the same
  validation as the API but without its per-request cost, limits or webhooks: {"count": N,
  "prefix": "BULK", "type": "Inventory"|"NonInventory"|"Service", "qty": 10, "price": 9.5,
  "cost": 4.25}. Names are "<prefix> item <n>" and SKUs "<prefix>-<n>" (n zero-padded, counting
  on from the items of that prefix already there). Answers {"created", "first_id", "last_id"}.
- GET/POST/DELETE /_sandbox/faults_in_200: scripted Faults inside HTTP 200, {"code": "3001",
  "count": 1, "path": "regex"}; the next `count` API calls whose path matches (after the gateway
  admitted them) answer 200 with that fault and apply nothing.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from werkzeug.wrappers import Request, Response

from channels.sandbox.kit import Clock, WebhookDispatcher, control, json_response

from . import faults, operations
from .books import Books
from .faults import QboFault
from .webhooks import WebhookBatcher, WebhookConfig

# The faults a 200 can carry, by code: what QuickBooks answers that way, and a few validation
# faults so a client's "look inside every 200" path can be tried with each kind.
FAULTS_IN_200: dict[str, Callable[[], QboFault]] = {
    "3001": faults.throttled,
    "10000": faults.system_failure,
    "5010": faults.stale_object,
    "610": faults.object_not_found,
    "6000": lambda: faults.business("A scripted business validation fault."),
}


MAX_SEEDED_ITEMS = 200_000
SEEDABLE_TYPES = frozenset({"Inventory", "NonInventory", "Service"})


class ControlEndpoints:
    lock: threading.RLock
    clock: Clock
    books: Books
    batcher: WebhookBatcher
    webhooks: WebhookDispatcher
    webhook_config: WebhookConfig
    faults_in_200: list[dict[str, Any]]

    def take_fault_in_200(self, path: str) -> QboFault | None:
        """The scripted fault for this call, if one is waiting for its path (counted down)."""
        with self.lock:
            for scripted in self.faults_in_200:
                if scripted["count"] > 0 and re.search(scripted["path"], path):
                    scripted["count"] -= 1
                    self.faults_in_200 = [s for s in self.faults_in_200 if s["count"] > 0]
                    return FAULTS_IN_200[scripted["code"]]()
        return None

    @control("/faults_in_200", methods=["GET", "POST", "DELETE"])
    def faults_in_200_control(self, request: Request) -> Response:
        with self.lock:
            if request.method == "DELETE":
                self.faults_in_200 = []
            elif request.method == "POST":
                try:
                    spec = json.loads(request.data or b"{}")
                    code = str(spec.get("code", ""))
                    if code not in FAULTS_IN_200:
                        raise ValueError(f"code must be one of {sorted(FAULTS_IN_200)}")
                    count = int(spec.get("count", 1))
                    path = str(spec.get("path", ""))
                    re.compile(path)
                except (ValueError, TypeError, AttributeError, re.error) as exc:
                    return json_response({"error": str(exc)}, status=400)
                self.faults_in_200.append({"code": code, "count": count, "path": path})
            return json_response({"faults_in_200": self.faults_in_200})

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

    @control("/items", methods=["GET", "POST"])
    def items(self, request: Request) -> Response:
        if request.method == "POST":
            return self._seed_items(request)
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

    def _seed_items(self, request: Request) -> Response:
        try:
            spec = json.loads(request.data or b"{}")
            if not isinstance(spec, dict):
                raise ValueError("body must be a JSON object")
            count = int(spec.get("count", 0))
            if not 1 <= count <= MAX_SEEDED_ITEMS:
                raise ValueError(f"count must be between 1 and {MAX_SEEDED_ITEMS}")
            prefix = str(spec.get("prefix") or "BULK")
            item_type = str(spec.get("type") or "Inventory")
            if item_type not in SEEDABLE_TYPES:
                raise ValueError(f"type must be one of {sorted(SEEDABLE_TYPES)}")
            qty = float(spec.get("qty", 10))
            price = float(spec.get("price", 9.5))
            cost = float(spec.get("cost", 4.25))
        except (ValueError, TypeError) as exc:
            return json_response({"error": str(exc)}, status=400)
        with self.lock:
            now = self.clock.now()
            accounts = {
                name: {"value": self.books.find_name("Account", name)}
                for name in ("Sales of Product Income", "Cost of Goods Sold", "Inventory Asset")
            }
            if any(ref["value"] is None for ref in accounts.values()):
                return json_response({"error": "the company lacks the seeded accounts"}, status=409)
            start = sum(
                1
                for item in self.books.objects["Item"].values()
                if str(item.get("Sku", "")).startswith(prefix + "-")
            )
            first = last = None
            try:
                for n in range(start, start + count):
                    payload: dict[str, Any] = {
                        "Name": f"{prefix} item {n:06d}",
                        "Sku": f"{prefix}-{n:06d}",
                        "Description": f"Seeded item {n} of {prefix}",
                        "Type": item_type,
                        "UnitPrice": price,
                        "PurchaseCost": cost,
                        "IncomeAccountRef": accounts["Sales of Product Income"],
                    }
                    if item_type != "Service":
                        payload["ExpenseAccountRef"] = accounts["Cost of Goods Sold"]
                    if item_type == "Inventory":
                        payload.update(
                            {
                                "TrackQtyOnHand": True,
                                "QtyOnHand": qty,
                                "InvStartDate": (now - timedelta(days=30)).date().isoformat(),
                                "AssetAccountRef": accounts["Inventory Asset"],
                                "ReorderPoint": 2,
                            }
                        )
                    created = operations.create(self.books, "Item", payload, now)
                    first = first or created["Id"]
                    last = created["Id"]
            except QboFault as fault:
                return json_response({"error": fault.fault()}, status=400)
            finally:
                self.books.drain_changes()  # seeding is set-up, not news: no webhooks, no CDC noise
        return json_response({"created": count, "first_id": first, "last_id": last}, status=201)
