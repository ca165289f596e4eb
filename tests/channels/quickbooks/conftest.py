"""Helpers for the QuickBooks adapter suite: configs pointing at the emulator, a token provider
held in memory, and the emulator's control endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from channels.adapters.base import AdapterConfig
from channels.adapters.quickbooks import oauth
from channels.adapters.quickbooks.adapter import QuickBooksAdapter
from channels.adapters.quickbooks.client import QuickBooksClient

# Small waits: tests must stay fast, and the emulator's clock is moved instead of sleeping.
FAST = {"timeout": 2.0, "max_attempts": 4, "backoff_base": 0.01, "backoff_cap": 0.05}
REDIRECT = "http://127.0.0.1:9/quickbooks/callback"


class Qbo:
    """The emulator: its URL, the seeded company's credentials, and its control endpoints."""

    def __init__(self, server: Any) -> None:
        self.url = server.url
        self.platform = server.platform
        self.creds = requests.get(f"{self.url}/_sandbox/credentials", timeout=5).json()
        self.realm = self.creds["realm_id"]
        self.discovery = f"{self.url}/.well-known/openid-configuration"

    def credentials(self, **extra: Any) -> dict[str, Any]:
        return {
            "client_id": self.creds["client_id"],
            "client_secret": self.creds["client_secret"],
            "environment": self.discovery,
            "redirect_uri": REDIRECT,
            "access_token": self.creds["access_token"],
            "refresh_token": self.creds["refresh_token"],
            **extra,
        }

    def config(self, **options: Any) -> AdapterConfig:
        return AdapterConfig(
            kind="quickbooks",
            base_url=self.url,
            credentials=self.credentials(),
            webhook_secret=self.creds["webhook_verifier_token"],
            account_id=self.realm,
            options={**FAST, **options},
        )

    def control(self, path: str, body: Any = None) -> dict[str, Any]:
        if body is None:
            response = requests.get(f"{self.url}/_sandbox{path}", timeout=10)
        else:
            response = requests.post(f"{self.url}/_sandbox{path}", json=body, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def fault(self, kind: str, *, count: int = 1, path: str = "", method: str = "") -> None:
        self.control("/faults", {"kind": kind, "count": count, "path": path, "method": method})

    def state(self) -> dict[str, Any]:
        return self.control("/state")

    def stock(self, sku: str) -> Any:
        return self.state()["stock"][sku]

    def advance(self, seconds: float) -> None:
        self.control("/clock", {"advance": seconds})

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A plain call with the seeded token, outside the adapter (to set up a scene)."""
        kwargs.setdefault("timeout", 10)
        headers = {"Authorization": f"Bearer {self.creds['access_token']}", "Accept": "application/json"}
        params = {"minorversion": "75", **kwargs.pop("params", {})}
        return requests.request(
            method, f"{self.url}/v3/company/{self.realm}/{path}", headers=headers, params=params, **kwargs
        )

    def create(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.api("POST", entity.lower(), json=body)
        assert response.status_code == 200, response.text
        return response.json()[entity]

    def rows(self, entity: str) -> list[dict[str, Any]]:
        response = self.api("GET", "query", params={"query": "SELECT * FROM " + entity})  # noqa: S608 (test entity names)
        assert response.status_code == 200, response.text
        return list(response.json()["QueryResponse"].get(entity, []))

    def count(self, entity: str) -> int:
        response = self.api("GET", "query", params={"query": "SELECT COUNT(*) FROM " + entity})  # noqa: S608
        return int(response.json()["QueryResponse"]["totalCount"])


@dataclass
class MemoryTokens:
    """A TokenProvider kept in memory, for tests that need no database: it refreshes with the
    platform's refresher and keeps the newest refresh token, as the Connection-backed one does."""

    config: AdapterConfig
    access: str = ""
    refresh_token: str = ""
    refreshes: int = 0
    handed_out: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.access = self.access or self.config.credentials["access_token"]
        self.refresh_token = self.refresh_token or self.config.credentials["refresh_token"]

    def access_token(self) -> str:
        self.handed_out.append(self.access)
        return self.access

    def refreshed_access_token(self, rejected: str) -> str:
        if rejected == self.access:
            tokens = oauth.refresh(self.config, self.refresh_token)
            self.access, self.refresh_token = tokens.access_token, tokens.refresh_token
            self.refreshes += 1
        return self.access


@pytest.fixture
def qbo(qbo_sandbox: Any) -> Qbo:
    return Qbo(qbo_sandbox)


@dataclass
class Rig:
    """An adapter wired to the emulator, with what tests look at: its tokens, the URLs it
    requested, and the waits it asked for (recorded, then moved on the emulator's clock)."""

    qbo: Qbo
    adapter: QuickBooksAdapter
    tokens: MemoryTokens
    urls: list[str]
    waits: list[float]


def make_rig(qbo: Qbo, *, advance_clock: bool = False, **options: Any) -> Rig:
    config = qbo.config(**options)
    tokens = MemoryTokens(config)
    urls: list[str] = []
    waits: list[float] = []
    session = requests.Session()
    session.hooks["response"].append(lambda response, *args, **kwargs: urls.append(response.request.url))

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if advance_clock:  # a throttle wait passes on the platform's clock, not the test's
            qbo.advance(seconds)

    client = QuickBooksClient(config, tokens, session=session, sleep=sleep)
    return Rig(qbo, QuickBooksAdapter(config, tokens, client=client), tokens, urls, waits)


@pytest.fixture
def rig(qbo: Qbo) -> Iterator[Rig]:
    made = make_rig(qbo)
    yield made
    made.adapter.client.session.close()
