"""The HTTP client against the emulator: minorversion and requestid, token refresh on 401,
throttling (429 and Fault 3001, also inside a 200), 5xx and timeouts, and faults as typed errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from channels.adapters.base import AuthError, PermanentChannelError, TransientChannelError
from channels.adapters.quickbooks.adapter import QuickBooksAdapter
from channels.adapters.quickbooks.client import QuickBooksClient

from .conftest import Qbo, Rig, make_rig


def _params(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_every_call_sends_minorversion_and_every_write_a_requestid(rig: Rig) -> None:
    rig.adapter.count_items()
    rig.adapter.client.write("item", {"Id": "5", "SyncToken": "0", "sparse": True, "UnitPrice": 4})
    rig.adapter.client.write(
        "item", {"Id": "5", "SyncToken": "1", "sparse": True, "UnitPrice": 5}, request_id="k1"
    )
    sent = [_params(url) for url in rig.urls]
    assert [p["minorversion"] for p in sent] == ["75", "75", "75"]
    assert "requestid" not in sent[0]
    assert len(sent[1]["requestid"]) == 32  # a fresh id when the caller gives none
    assert sent[2]["requestid"] == "k1"


def test_minor_version_comes_from_the_options(qbo: Qbo) -> None:
    made = make_rig(qbo, minor_version=76)
    made.adapter.check_connection()
    assert _params(made.urls[0])["minorversion"] == "76"


def test_throttled_calls_wait_and_retry(qbo: Qbo) -> None:
    made = make_rig(qbo)
    qbo.fault("throttle", count=2, path="/query")
    assert made.adapter.count_items() == 48
    assert qbo.state()["calls"]["query"] == 3
    # The emulator's scripted throttle says Retry-After: 60; the test caps waits at 0.05 s.
    assert made.waits == [0.05, 0.05]


def test_the_real_per_minute_limit_is_waited_out_on_retry_after(qbo: Qbo) -> None:
    """500 requests in a minute use the realm's allowance; the 501st gets 429 with Retry-After,
    the adapter waits that long (moved on the emulator's clock) and gets through."""
    made = make_rig(qbo, advance_clock=True, backoff_cap=None)
    session = requests.Session()
    headers = {"Authorization": f"Bearer {qbo.creds['access_token']}"}
    for _ in range(500):
        session.get(f"{qbo.url}/v3/company/{qbo.realm}/item/1", headers=headers, timeout=5)
    assert (
        session.get(f"{qbo.url}/v3/company/{qbo.realm}/item/1", headers=headers, timeout=5).status_code == 429
    )
    session.close()

    assert made.adapter.check_connection().startswith("QuickBooks company")
    assert len(made.waits) == 1
    assert 1 <= made.waits[0] <= 60  # the emulator's Retry-After, not the 30 s backoff cap


def test_throttle_that_does_not_end_is_transient_with_retry_after(qbo: Qbo) -> None:
    made = make_rig(qbo, max_attempts=3)
    qbo.control("/knobs", {"throttle_rate": 1})
    with pytest.raises(TransientChannelError) as throttled:
        made.adapter.count_items()
    assert throttled.value.code == "3001"
    assert throttled.value.retry_after == 60
    assert qbo.state()["calls"]["query"] == 3


def test_fault_3001_inside_a_200_is_throttling_too(qbo: Qbo) -> None:
    made = make_rig(qbo)
    qbo.control("/faults_in_200", {"code": "3001", "count": 1, "path": "/query"})
    assert made.adapter.count_items() == 48
    assert qbo.state()["operations"]["fault_in_200:3001"] == 1
    assert qbo.state()["calls"]["query"] == 2


def test_other_faults_inside_a_200_are_permanent_with_their_code(qbo: Qbo) -> None:
    made = make_rig(qbo)
    qbo.control("/faults_in_200", {"code": "5010", "count": 1, "path": "/query"})
    with pytest.raises(PermanentChannelError) as stale:
        made.adapter.count_items()
    assert stale.value.code == "5010"
    assert '"Fault"' in (stale.value.raw or "")
    assert qbo.state()["calls"]["query"] == 1  # not retried

    qbo.control("/faults_in_200", {"code": "10000", "count": 1, "path": "/query"})
    assert made.adapter.count_items() == 48  # a SystemFault in a 200 is retried


def test_server_errors_and_timeouts_are_retried_then_transient(qbo: Qbo) -> None:
    made = make_rig(qbo, timeout=0.3)
    qbo.control("/knobs", {"timeout_seconds": 0.6})
    qbo.fault("error", count=1, path="/companyinfo")
    qbo.fault("timeout", count=1, path="/companyinfo")
    assert made.adapter.check_connection().startswith("QuickBooks company")
    assert qbo.state()["calls"]["read"] == 3

    qbo.fault("error", count=4, path="/companyinfo")
    with pytest.raises(TransientChannelError) as failing:
        made.adapter.check_connection()
    assert failing.value.status == 500
    assert "10000" in (failing.value.raw or "")


def test_validation_faults_are_permanent_with_code_and_raw(rig: Rig, qbo: Qbo) -> None:
    client = rig.adapter.client
    with pytest.raises(PermanentChannelError) as missing:
        client.get("item/99999")
    assert missing.value.code == "610"
    assert missing.value.status == 400
    assert "Object Not Found" in (missing.value.raw or "")

    with pytest.raises(PermanentChannelError) as stale:
        client.write("item", {"Id": "5", "SyncToken": "7", "sparse": True, "UnitPrice": 4})
    assert stale.value.code == "5010"

    with pytest.raises(PermanentChannelError) as required:
        client.write("item", {"Name": "No accounts", "Type": "Inventory", "TrackQtyOnHand": True})
    assert required.value.code == "2020"
    assert qbo.state()["calls"]["write"] == 2 and qbo.state()["calls"]["read"] == 1  # none retried


def test_expired_access_token_is_refreshed_once_and_the_call_goes_through(qbo: Qbo) -> None:
    made = make_rig(qbo)
    qbo.advance(3601)  # the seeded access token has expired on the platform
    assert made.adapter.count_items() == 48
    assert made.tokens.refreshes == 1
    assert made.tokens.refresh_token != qbo.creds["refresh_token"]  # the rotated one is kept
    state = qbo.state()
    assert state["calls"]["token"] == 1
    assert state["calls"]["query"] == 2
    assert made.adapter.count_items() == 48  # the new token keeps working
    assert made.tokens.refreshes == 1


def test_without_a_token_provider_a_refused_token_is_an_auth_error(qbo: Qbo) -> None:
    adapter = QuickBooksAdapter(qbo.config())
    assert adapter.count_items() == 48
    qbo.advance(3601)
    with pytest.raises(AuthError):
        adapter.count_items()
    assert "token" not in qbo.state()["calls"]


def test_a_token_for_another_company_is_an_auth_error(qbo: Qbo) -> None:
    config = qbo.config()
    other = QuickBooksAdapter(replace(config, account_id="123"))
    with pytest.raises(AuthError) as forbidden:
        other.count_items()
    assert forbidden.value.status == 403


class _Garbage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html><body>Service temporarily moved</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def garbage_server() -> Iterator[str]:
    """A loopback server answering 200 with HTML: something a proxy in front of an API does."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_answer_that_does_not_parse_is_permanent_with_the_raw_body(qbo: Qbo, garbage_server: str) -> None:
    config = qbo.config()
    client = QuickBooksClient(replace(config, base_url=garbage_server))
    with pytest.raises(PermanentChannelError) as garbled:
        client.get("companyinfo/1")
    assert "did not parse" in str(garbled.value)
    assert garbled.value.raw == "<html><body>Service temporarily moved</body></html>"


def test_a_batch_takes_at_most_30_operations(rig: Rig) -> None:
    with pytest.raises(ValueError, match="at most 30"):
        rig.adapter.client.batch([{"bId": str(n), "Query": "SELECT * FROM Item"} for n in range(31)])
