"""The connection and the wire: check_connection, credentials, answers that are not JSON, redirects,
unreachable shops, and the adapter's place in the registry."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
from waitress.server import create_server

from channels.adapters.base import (
    AdapterConfig,
    AuthError,
    ChannelAdapter,
    NotSupported,
    PermanentChannelError,
    TransientChannelError,
    platform,
)
from channels.adapters.woocommerce import WooCommerceAdapter
from channels.sandbox.kit import stop_waitress
from tests.channels.sandbox.woocommerce.conftest import KEY, SECRET

from .support import calls


class Site:
    """A loopback web server answering each path with a canned (status, headers, body)."""

    def __init__(self) -> None:
        self.url = ""
        self.answers: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {}
        self.requests: list[tuple[str, str, str]] = []  # method, path, Authorization

    def app(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        self.requests.append((environ["REQUEST_METHOD"], path, environ.get("HTTP_AUTHORIZATION", "")))
        status, headers, body = self.answers.get(path, (404, [], b"<html>not found</html>"))
        start_response(f"{status} Answer", [("Content-Type", "text/html"), *headers])
        return [body]


@pytest.fixture
def site() -> Iterator[Site]:
    fake = Site()
    server = create_server(fake.app, host="127.0.0.1", port=0, threads=2)
    fake.url = f"http://127.0.0.1:{server.effective_port}"
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield fake
    stop_waitress(server, thread)


def _adapter(url: str, sleeper, **options) -> WooCommerceAdapter:
    config = AdapterConfig(
        kind="woocommerce",
        base_url=url,
        credentials={"consumer_key": KEY, "consumer_secret": SECRET},
        webhook_secret="s",
        options={"timeout": 1.0, "max_attempts": 2, "backoff_base": 0.01, "backoff_cap": 0.02, **options},
    )
    return WooCommerceAdapter(config, sleep=sleeper)


def test_check_connection_names_the_store(adapter, shop):
    assert adapter.check_connection() == "WooCommerce store Sandbox Store"
    assert calls(shop) == {"wp.index": 1, "products.list": 1}


def test_check_connection_refuses_a_wrong_secret(make_adapter):
    with pytest.raises(AuthError) as caught:
        make_adapter(secret="cs_wrong").check_connection()

    assert caught.value.status == 401 and caught.value.code == "woocommerce_rest_authentication_error"
    assert '"message":"Consumer secret is invalid."' in (caught.value.raw or "")


def test_an_unknown_key_is_anonymous_and_refused_by_the_route(make_adapter):
    with pytest.raises(AuthError) as caught:
        make_adapter(key="ck_nobody", secret="cs_nobody").fetch_listings()

    assert caught.value.code == "woocommerce_rest_cannot_view"


def test_missing_credentials_fail_before_any_call(shop, sleeper):
    config = AdapterConfig(kind="woocommerce", base_url=shop.url, credentials={})

    with pytest.raises(AuthError, match="no consumer key"):
        WooCommerceAdapter(config, sleep=sleeper).fetch_listings()
    assert calls(shop) == {}


def test_query_string_auth_and_a_pasted_api_address_work(make_adapter, shop):
    config = AdapterConfig(
        kind="woocommerce",
        base_url=f"{shop.url}/wp-json/wc/v3/",
        credentials={"consumer_key": KEY, "consumer_secret": SECRET},
        options={"query_string_auth": True},
    )

    assert WooCommerceAdapter(config).check_connection() == "WooCommerce store Sandbox Store"


def test_a_closed_index_does_not_stop_the_check(site, sleeper):
    site.answers["/wp-json/"] = (401, [], b'{"code":"rest_cannot_access","message":"Only logged-in users."}')
    site.answers["/wp-json/wc/v3/products"] = (200, [("X-WP-TotalPages", "1")], b"[]")

    assert _adapter(site.url, sleeper).check_connection() == f"WooCommerce store {site.url}"
    index_call = site.requests[0]
    assert index_call[1] == "/wp-json/" and index_call[2] == ""  # no credentials sent to WordPress
    assert site.requests[1][2].startswith("Basic ")


def test_wordpress_without_woocommerce_is_reported(site, sleeper):
    site.answers["/wp-json/"] = (200, [], b'{"name":"Blog","namespaces":["oembed/1.0","wp/v2"]}')

    with pytest.raises(PermanentChannelError, match="is WooCommerce active"):
        _adapter(site.url, sleeper).check_connection()


def test_an_answer_that_is_not_json_is_permanent_with_the_body_kept(site, sleeper):
    page = b"<html><body>Please enable cookies</body></html>"
    site.answers["/wp-json/wc/v3/products"] = (200, [], page)

    with pytest.raises(PermanentChannelError, match="not JSON") as caught:
        _adapter(site.url, sleeper).fetch_listings()

    assert caught.value.raw == page.decode()
    assert len(site.requests) == 1  # not retried


def test_a_redirect_is_reported_not_followed(site, sleeper):
    site.answers["/wp-json/wc/v3/products/batch"] = (301, [("Location", "https://shop.example/x")], b"")

    with pytest.raises(PermanentChannelError, match=re.escape("https://shop.example/x")):
        _adapter(site.url, sleeper).client.post("products/batch", {"update": []})
    assert [r[0] for r in site.requests] == ["POST"]


def test_html_error_pages_are_retried_then_transient(site, sleeper):
    site.answers["/wp-json/wc/v3/orders/5"] = (500, [], b"<p>There has been a critical error.</p>")

    with pytest.raises(TransientChannelError) as caught:
        _adapter(site.url, sleeper, max_attempts=3).fetch_order("5")

    assert len(site.requests) == 3 and len(sleeper.waits) == 2
    assert "critical error" in (caught.value.raw or "")


def test_an_unreachable_shop_is_transient(sleeper):
    with pytest.raises(TransientChannelError, match="ConnectionError"):
        _adapter("http://127.0.0.1:9", sleeper).fetch_listings()
    assert len(sleeper.waits) == 1


def test_the_adapter_is_registered_as_a_channel(shop):
    spec = platform("woocommerce")
    adapter = spec.factory(
        AdapterConfig(
            kind="woocommerce",
            base_url=shop.url,
            credentials={"consumer_key": KEY, "consumer_secret": SECRET},
        ),
        None,
    )

    assert isinstance(adapter, WooCommerceAdapter) and isinstance(adapter, ChannelAdapter)
    assert spec.refresher is None
    assert adapter.push_batch_limit == 100
    with pytest.raises(NotSupported):
        adapter.fetch_payouts(since=None)
