"""The HTTP layer on its own: retries and their limits, answers that do not parse, dead hosts."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from channels.adapters.base import PermanentChannelError, TransientChannelError
from channels.adapters.shopify.client import ShopifyClient


@pytest.fixture
def garbage_server() -> Iterator[str]:
    """A loopback server that answers 200 with an HTML page, like a proxy error page would."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            body = b"<html><body>Bad gateway, try later</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _client(base_url: str, **options) -> ShopifyClient:
    waits: list[float] = []
    client = ShopifyClient(
        base_url=base_url,
        access_token="shpat_sandbox_token",
        api_version="2026-10",
        timeout=options.pop("timeout", 1.0),
        max_attempts=options.pop("max_attempts", 3),
        backoff_base=0.01,
        backoff_cap=0.02,
        sleep=waits.append,
        **options,
    )
    return client


def test_an_answer_that_does_not_parse_is_permanent_and_kept(garbage_server):
    client = _client(garbage_server)

    with pytest.raises(PermanentChannelError) as caught:
        client.graphql("query Shop { shop { name } }", operation="Shop", cost=1)
    assert "not JSON" in str(caught.value)
    assert caught.value.raw == "<html><body>Bad gateway, try later</body></html>"

    with pytest.raises(PermanentChannelError):
        client.rest_get("orders.json")


def test_a_dead_host_is_transient_after_the_bounded_attempts():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = _client(f"http://127.0.0.1:{port}", max_attempts=3)

    with pytest.raises(TransientChannelError) as caught:
        client.rest_get("shop.json")

    assert "3 attempt(s)" in str(caught.value)
    assert [reason for reason, _ in client.waits] == ["retry", "retry"]
    assert all(0.005 <= seconds <= 0.02 for _, seconds in client.waits)  # jittered, capped


@pytest.mark.parametrize("kind", ["error", "timeout", "lost"])
def test_rest_reads_survive_5xx_timeouts_and_lost_answers(shop, kind):
    shop.knobs(timeout_seconds=0.4)
    shop.fault(kind=kind, path=r"/shop\.json$", count=2)
    client = _client(shop.url, timeout=0.2, max_attempts=3)

    answer = client.rest_get("shop.json")

    assert answer.body["shop"]["name"] == "Sandbox Home Goods"
    assert shop.state()["calls"]["shop"] == 3
    assert len(client.waits) == 2


def test_a_validation_fault_is_permanent_with_the_raw_body(shop):
    client = _client(shop.url)

    with pytest.raises(PermanentChannelError) as caught:
        client.rest_get("orders.json", {"limit": 999})

    assert caught.value.status == 400
    assert "Invalid request parameters" in (caught.value.raw or "")
    assert shop.state()["calls"]["orders_collection"] == 1  # never retried
