"""Helpers for the WooCommerce sandbox suite: an authenticated REST session and a webhook receiver."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests
from waitress.server import create_server

from channels.sandbox.kit import stop_waitress

KEY = "ck_sandbox_0123456789abcdef"
SECRET = "cs_sandbox_0123456789abcdef"


class Shop:
    """The sandbox as a client sees it: `get`/`post`/`put`/`delete` against /wp-json/wc/v3."""

    def __init__(self, server) -> None:
        self.server = server
        self.url = server.url
        self.api = f"{server.url}/wp-json/wc/v3"
        self.session = requests.Session()
        self.session.auth = (KEY, SECRET)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(self.api + path, timeout=5, **kwargs)

    def post(self, path: str, body=None, **kwargs) -> requests.Response:
        return self.session.post(self.api + path, json=body, timeout=5, **kwargs)

    def put(self, path: str, body=None, **kwargs) -> requests.Response:
        return self.session.put(self.api + path, json=body, timeout=5, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.session.delete(self.api + path, timeout=5, **kwargs)

    def control(self, method: str, path: str, body=None) -> requests.Response:
        return requests.request(method, f"{self.url}/_sandbox{path}", json=body, timeout=10)

    def state(self) -> dict:
        return self.control("GET", "/state").json()

    def by_sku(self) -> dict:
        return self.control("GET", "/products").json()

    def stock(self, sku: str) -> int:
        return self.state()["stock"][sku]

    def flush(self) -> dict:
        return self.control("POST", "/webhooks/flush", {"timeout": 5}).json()

    def knobs(self, **values) -> None:
        assert self.control("POST", "/knobs", values).status_code == 200

    def advance(self, seconds: float) -> None:
        self.control("POST", "/clock", {"advance": seconds})


@pytest.fixture
def shop(woo_sandbox) -> Iterator[Shop]:
    client = Shop(woo_sandbox)
    yield client
    # An open keep-alive connection keeps waitress's loop alive after the session's server stops.
    client.session.close()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook endpoint: records every POST and answers with `status`."""

    url: str = ""
    status: int = 200
    received: list[Received] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def app(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        headers["content-type"] = environ.get("CONTENT_TYPE", "")
        with self.cond:
            self.received.append(Received(environ.get("PATH_INFO", ""), headers, body))
            self.cond.notify_all()
        start_response(f"{self.status} Answer", [("Content-Type", "text/plain")])
        return [b"ok"]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.received) < count and time.monotonic() < deadline:
                self.cond.wait(timeout=0.05)
            return list(self.received)

    def deliveries(self) -> list[Received]:
        """What arrived, pings aside."""
        with self.cond:
            return [r for r in self.received if "x-wc-webhook-topic" in r.headers]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    server = create_server(hook.app, host="127.0.0.1", port=0, threads=4)
    hook.url = f"http://127.0.0.1:{server.effective_port}/hooks"
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield hook
    stop_waitress(server, thread)
