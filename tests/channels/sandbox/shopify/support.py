"""Helpers for the Shopify sandbox suite: an HTTP client for the running emulator and a webhook
receiver on loopback that can be told to fail."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

TOKEN = "shpat_sandbox_token"
SECRET = "sandbox-shopify-secret"
VERSION = "2026-10"
LEGACY_VERSION = "2026-01"

SET_QUANTITIES = """
mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id reason referenceDocumentUri changes { name delta item { id } location { id } } }
    userErrors { field message code }
  }
}
"""


class Shop:
    """A thin client of the running Shopify sandbox."""

    def __init__(self, server: Any) -> None:
        self.url = server.url
        self.platform = server.platform
        self.http = requests.Session()

    def gql(self, query: str, variables: dict | None = None, *, version: str = VERSION, token: str = TOKEN):
        return self.http.post(
            f"{self.url}/admin/api/{version}/graphql.json",
            json={"query": query, "variables": variables or {}},
            headers={"X-Shopify-Access-Token": token},
            timeout=10,
        )

    def data(self, query: str, variables: dict | None = None, *, version: str = VERSION) -> dict:
        body = self.gql(query, variables, version=version).json()
        assert "errors" not in body, body
        return body["data"]

    def rest(self, method: str, path: str, *, version: str = VERSION, token: str = TOKEN, **kwargs: Any):
        headers = {"X-Shopify-Access-Token": token, **kwargs.pop("headers", {})}
        url = path if path.startswith("http") else f"{self.url}/admin/api/{version}/{path}"
        return self.http.request(method, url, headers=headers, timeout=10, **kwargs)

    def control(self, method: str, path: str, **kwargs: Any):
        return self.http.request(method, f"{self.url}/_sandbox/{path}", timeout=10, **kwargs)

    def state(self) -> dict:
        return self.control("GET", "state").json()

    def knobs(self, **values: Any) -> None:
        assert self.control("POST", "knobs", json=values).status_code == 200

    def fault(self, **spec: Any) -> None:
        assert self.control("POST", "faults", json=spec).status_code == 200

    def advance(self, seconds: float) -> None:
        self.control("POST", "clock", json={"advance": seconds})

    def set_clock(self, when: str) -> None:
        self.control("POST", "clock", json={"set": when})

    def variant(self, sku: str) -> dict:
        return self.control("GET", "variants").json()[sku]

    def available(self, sku: str) -> int:
        return self.state()["stock"][sku]

    def order(self, *lines: tuple[str, int], **extra: Any) -> requests.Response:
        body = {"lines": [{"sku": sku, "quantity": qty} for sku, qty in lines], **extra}
        return self.control("POST", "orders", json=body)

    def location_gid(self) -> str:
        return f"gid://shopify/Location/{self.platform.store.primary_location_id}"

    def item_gid(self, sku: str) -> str:
        return f"gid://shopify/InventoryItem/{self.variant(sku)['inventory_item_id']}"

    def flush(self) -> dict:
        return self.control("POST", "webhooks/flush", json={"timeout": 5}).json()


class Receiver:
    """Collects webhook deliveries; `fail_next` makes the next n answer 500."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.failures_left = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    failing = receiver.failures_left > 0
                    if failing:
                        receiver.failures_left -= 1
                    receiver.received.append(
                        {"headers": dict(self.headers), "body": body, "status": 500 if failing else 200}
                    )
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def fail_next(self, count: int) -> None:
        with self.lock:
            self.failures_left = count

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        with self.lock:
            return list(self.received)

    def ok(self, topic: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [
                r
                for r in self.received
                if r["status"] == 200 and (topic is None or r["headers"]["X-Shopify-Topic"] == topic)
            ]

    @staticmethod
    def json(delivery: dict[str, Any]) -> Any:
        return json.loads(delivery["body"])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def subscribe(shop: Shop, topic: str, uri: str) -> dict:
    data = shop.data(
        """mutation($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
          webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
            webhookSubscription { id topic uri format apiVersion { handle } }
            userErrors { field message }
          }
        }""",
        {"topic": topic, "sub": {"uri": uri, "format": "JSON"}},
    )["webhookSubscriptionCreate"]
    assert data["userErrors"] == []
    return data["webhookSubscription"]
