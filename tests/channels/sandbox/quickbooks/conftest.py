"""Helpers for the QuickBooks emulator suite: an HTTP client holding the seeded token, and a
webhook receiver running on loopback in a thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

MINOR = {"minorversion": "75"}


class Qbo:
    """Speaks to the emulator the way a QuickBooks client would, plus its control endpoints."""

    def __init__(self, server: Any) -> None:
        self.url = server.url
        self.platform = server.platform
        creds = requests.get(f"{self.url}/_sandbox/credentials", timeout=5).json()
        self.creds = creds
        self.realm = creds["realm_id"]
        self.base = self.url + creds["api_path"]
        self.http = requests.Session()
        self.use_token(creds["access_token"])

    def use_token(self, token: str) -> None:
        self.http.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})

    def query(self, text: str) -> requests.Response:
        return self.http.get(f"{self.base}/query", params={"query": text, **MINOR}, timeout=10)

    def rows(self, text: str) -> list[dict[str, Any]]:
        response = self.query(text)
        assert response.status_code == 200, response.text
        body = response.json()["QueryResponse"]
        return next((v for k, v in body.items() if isinstance(v, list)), [])

    def read(self, entity: str, obj_id: str) -> requests.Response:
        return self.http.get(f"{self.base}/{entity.lower()}/{obj_id}", params=MINOR, timeout=10)

    def item(self, obj_id: str) -> dict[str, Any]:
        response = self.read("Item", obj_id)
        assert response.status_code == 200, response.text
        return response.json()["Item"]

    def post(self, entity: str, body: Any, **params: str) -> requests.Response:
        return self.http.post(
            f"{self.base}/{entity.lower()}", json=body, params={**params, **MINOR}, timeout=10
        )

    def ok(self, entity: str, body: Any, **params: str) -> dict[str, Any]:
        response = self.post(entity, body, **params)
        assert response.status_code == 200, response.text
        return response.json()[entity]

    def control(self, path: str, body: Any = None) -> dict[str, Any]:
        if body is None:
            response = requests.get(f"{self.url}/_sandbox{path}", timeout=10)
        else:
            response = requests.post(f"{self.url}/_sandbox{path}", json=body, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def state(self) -> dict[str, Any]:
        return self.control("/state")

    def stock(self, sku: str) -> Any:
        return self.state()["stock"][sku]

    def advance(self, seconds: float) -> None:
        self.control("/clock", {"advance": seconds})


def fault_code(response: requests.Response) -> str:
    return response.json()["Fault"]["Error"][0]["code"]


def sale_line(item_id: str, qty: float, price: float, detail: str = "SalesItemLineDetail") -> dict[str, Any]:
    return {
        "DetailType": detail,
        "Amount": round(qty * price, 2),
        detail: {"ItemRef": {"value": item_id}, "Qty": qty, "UnitPrice": price},
    }


@pytest.fixture
def qbo(qbo_sandbox: Any) -> Iterator[Qbo]:
    client = Qbo(qbo_sandbox)
    yield client
    client.http.close()


class Receiver:
    """A webhook endpoint: records every POST (headers and raw body), answers `statuses` in turn."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.statuses = list(statuses or [])
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    if status == 200:
                        receiver.calls.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    receiver.attempts += 1
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.attempts = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/quickbooks"

    def wait(self, count: int, timeout: float = 5.0) -> list[tuple[dict[str, str], bytes]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.calls) >= count:
                    return list(self.calls)
            time.sleep(0.02)
        with self._lock:
            return list(self.calls)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    yield rec
    rec.close()
