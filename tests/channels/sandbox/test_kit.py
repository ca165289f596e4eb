"""The shared sandbox machinery: routing, scripted and random faults, the call log, the clock."""

from __future__ import annotations

import requests
from werkzeug.wrappers import Request, Response

from channels.sandbox.kit import SandboxPlatform, SandboxServer, api, json_response


class TinyPlatform(SandboxPlatform):
    name = "tiny"

    def seed(self) -> None:
        self.stock = {"A": 1}

    def stock_by_sku(self) -> dict:
        return dict(self.stock)

    def fault_response(self, kind: str, request: Request) -> Response:
        return json_response({"fault": kind}, status=429 if kind == "throttle" else 503)

    @api("/v1/things/<int:number>", methods=["GET", "POST"])
    def things(self, request: Request, number: int) -> Response:
        if request.method == "POST":
            with self.lock:
                self.stock["A"] += 1
            self.note_write(request, f"thing-{number}")
        return json_response({"number": number})

    def snapshot_state(self) -> dict:
        return {"stock": self.stock}

    def restore_state(self, state: dict) -> None:
        self.stock = state["stock"]


def test_scripted_faults_hit_exactly_the_next_matching_calls():
    server = SandboxServer(TinyPlatform()).start()
    try:
        requests.post(
            f"{server.url}/_sandbox/faults", json={"kind": "throttle", "count": 2, "method": "GET"}, timeout=5
        )
        statuses = [requests.get(f"{server.url}/v1/things/1", timeout=5).status_code for _ in range(3)]
        assert statuses == [429, 429, 200]
        assert requests.post(f"{server.url}/v1/things/1", timeout=5).status_code == 200
    finally:
        server.stop()


def test_lost_response_applies_the_write_but_the_client_never_hears():
    server = SandboxServer(TinyPlatform()).start()
    try:
        requests.post(f"{server.url}/_sandbox/knobs", json={"timeout_seconds": 0.3}, timeout=5)
        requests.post(f"{server.url}/_sandbox/faults", json={"kind": "lost", "method": "POST"}, timeout=5)
        assert requests.post(f"{server.url}/v1/things/7", timeout=5).status_code == 504
        state = requests.get(f"{server.url}/_sandbox/state", timeout=5).json()
        assert state["stock"] == {"A": 2}
        assert state["writes_applied"] == 1
        assert state["calls"] == {"things": 1}
    finally:
        server.stop()


def test_unknown_paths_and_bad_knobs_answer_cleanly():
    server = SandboxServer(TinyPlatform()).start()
    try:
        assert requests.get(f"{server.url}/nope", timeout=5).status_code == 404
        bad = requests.post(f"{server.url}/_sandbox/knobs", json={"error_rate": 3}, timeout=5)
        assert bad.status_code == 400
        assert (
            requests.post(f"{server.url}/_sandbox/knobs", json={"nonsense": 1}, timeout=5).status_code == 400
        )
    finally:
        server.stop()


def test_clock_moves_forward_on_request():
    server = SandboxServer(TinyPlatform()).start()
    try:
        before = requests.get(f"{server.url}/_sandbox/clock", timeout=5).json()["now"]
        after = requests.post(f"{server.url}/_sandbox/clock", json={"advance": 86400 * 2}, timeout=5).json()[
            "now"
        ]
        assert after[:10] > before[:10]
    finally:
        server.stop()
