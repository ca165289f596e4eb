"""The WooCommerce sandbox: a WordPress + WooCommerce shop's REST API v3 (/wp-json/wc/v3/) over
real HTTP, for the hub's WooCommerce adapter and any standard client (the `woocommerce` Python
package works unchanged, with its OAuth 1.0a signatures over http).

Routes live in routes_products.py, routes_orders.py, routes_webhooks.py and routes_index.py (the
public WordPress index at /wp-json/, where clients read the site's name); the request pipeline
in base.py. This module wires the shop together and adds what only the sandbox has: fault
answers, the not-found answer and the control endpoints under /_sandbox/:

    POST /_sandbox/orders         {"lines": [{"sku", "quantity"}]}: a paid order, as a shopper's
                                  checkout would make it (the REST create path with set_paid);
                                  400 with WooCommerce's stock error when it cannot be filled
    GET  /_sandbox/products       {sku: {product_id, variation_id, stock_quantity, manage_stock}}
    POST /_sandbox/stock          {"sku", "stock_quantity"}: a stock edit in wp-admin
                                  (fires product.updated)
    GET  /_sandbox/subscriptions  webhooks with their failure counts (not visible in the API)

Faults: the error knob answers as WordPress does when PHP dies (500 "There has been a critical
error on this website.") or, one time in three, in maintenance mode (503, Retry-After: 600); JSON
when the client asks for JSON, WordPress's HTML page otherwise. WooCommerce has no rate limit of
its own; the throttle knob answers like a host's limiter or the Store API's: 429 with
Retry-After and RateLimit-* headers.

Deviations from a real shop are listed in each module's docstring; the main ones: Basic auth is
accepted over plain HTTP (auth.py), orders are refused when stock is short (orders.py), webhook
payloads are built at event time and loopback delivery URLs are allowed (webhooks.py), batch
items are validated against the schema (products.py), and an Idempotency-Key header, which
WooCommerce ignores, names writes in the call log (base.py).
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from werkzeug.wrappers import Request, Response

from channels.sandbox.kit import Knobs, control, json_response

from .auth import Authenticator
from .events import Events
from .params import query_params
from .products import set_stock
from .routes_index import IndexRoutes
from .routes_orders import OrderRoutes
from .routes_products import ProductRoutes
from .routes_webhooks import WebhookRoutes
from .store import Store
from .webhooks import HookshotDispatcher
from .wp import WpError, wp_response

CRITICAL_ERROR = (
    '<p>There has been a critical error on this website.</p><p><a href="https://wordpress.org/documentation/'
    'article/faq-troubleshooting/">Learn more about troubleshooting WordPress.</a></p>'
)
MAINTENANCE = "Briefly unavailable for scheduled maintenance. Check back in a minute."
THROTTLE_RETRY_AFTER = 2


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("Accept", "")
    return "json" in accept or "json" in (request.content_type or "")


def _html_page(title: str, body: str, status: int) -> Response:
    html = f"<!DOCTYPE html><html><head><title>{title}</title></head><body>{body}</body></html>"
    return Response(html, status=status, content_type="text/html; charset=UTF-8")


class WooCommerceSandbox(IndexRoutes, ProductRoutes, OrderRoutes, WebhookRoutes):
    def __init__(
        self,
        *,
        knobs: Knobs | None = None,
        snapshot_path: str | Path | None = None,
        consumer_key: str = "ck_sandbox_0123456789abcdef",
        consumer_secret: str = "cs_sandbox_0123456789abcdef",
        site_name: str = "Sandbox Store",
        currency: str = "USD",
    ) -> None:
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.site_name = site_name
        self.currency = currency
        self.store = Store(currency=currency)
        self.auth = Authenticator(consumer_key, consumer_secret)
        self.site_url = "http://127.0.0.1"
        self.delivery_salt = secrets.token_hex(16)
        self._write_seq = itertools.count(1)
        super().__init__(knobs=knobs, snapshot_path=snapshot_path)
        # WooCommerce counts consecutive failures per webhook, so it needs every outcome.
        self.webhooks.stop()
        self.webhooks = HookshotDispatcher(
            knobs=self.knobs, rng=self.rng, retry_delays=(), on_outcome=self.delivery_outcome
        )

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        """WordPress honours `?_method=` and X-HTTP-Method-Override for clients that cannot send
        PUT or DELETE; OAuth still signs the method that went over the wire."""
        override = environ.get("HTTP_X_HTTP_METHOD_OVERRIDE", "")
        query = environ.get("QUERY_STRING", "")
        if "_method=" in query:
            override = parse_qs(query).get("_method", [override])[-1]
        if override:
            environ["woo.original_method"] = environ.get("REQUEST_METHOD", "GET")
            environ["REQUEST_METHOD"] = override.upper()
        return super().__call__(environ, start_response)

    # -- SandboxPlatform -------------------------------------------------------------------------

    def seed(self) -> None:
        with self.lock:
            self.store.seed(self.clock.now())
        self.auth.clear()

    def stock_by_sku(self) -> dict[str, Any]:
        return self.store.stock_by_sku()

    def snapshot_state(self) -> dict[str, Any]:
        return self.store.snapshot()

    def restore_state(self, state: dict[str, Any]) -> None:
        with self.lock:
            self.store.restore(state)

    def credentials(self) -> dict[str, Any]:
        return {
            "consumer_key": self.consumer_key,
            "consumer_secret": self.consumer_secret,
            "api_root": "/wp-json/wc/v3",
            "version": "wc/v3",
            "site_name": self.site_name,
            "currency": self.currency,
        }

    def fault_response(self, kind: str, request: Request) -> Response:
        if kind == "throttle":
            message = f"Too many requests. Please wait {THROTTLE_RETRY_AFTER} seconds before trying again."
            reset = int(time.time()) + THROTTLE_RETRY_AFTER
            return wp_response(
                {"code": "rate_limit_exceeded", "message": message, "data": {"status": 429}},
                status=429,
                headers=[
                    ("Retry-After", str(THROTTLE_RETRY_AFTER)),
                    ("RateLimit-Limit", "25"),
                    ("RateLimit-Remaining", "0"),
                    ("RateLimit-Reset", str(reset)),
                ],
            )
        if self.rng.random() < 1 / 3:
            headers = [("Retry-After", "600")]
            if _wants_json(request):
                body = {
                    "code": "wp_die",
                    "message": MAINTENANCE,
                    "data": {"status": 503},
                    "additional_errors": [],
                }
                return wp_response(body, status=503, headers=headers)
            page = _html_page("Maintenance", f"<p>{MAINTENANCE}</p>", 503)
            page.headers["Retry-After"] = "600"
            return page
        if _wants_json(request):
            body = {
                "code": "internal_server_error",
                "message": CRITICAL_ERROR,
                "data": {"status": 500},
                "additional_errors": [],
            }
            return wp_response(body, status=500)
        return _html_page("WordPress &rsaquo; Error", CRITICAL_ERROR, 500)

    def not_found_response(self, request: Request) -> Response:
        if not request.path.startswith("/wp-json"):
            return _html_page("Page not found", "<h1>Page not found</h1>", 404)
        try:
            self.auth.authenticate(request, query_params(request))
        except WpError as error:
            return error.response
        return wp_response(
            {
                "code": "rest_no_route",
                "message": "No route was found matching the URL and request method.",
                "data": {"status": 404},
            },
            status=404,
        )

    # -- control endpoints -----------------------------------------------------------------------

    @staticmethod
    def _control_body(request: Request) -> dict[str, Any]:
        try:
            body = json.loads(request.data or b"{}")
        except ValueError as exc:
            raise ValueError("body is not JSON") from exc
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        return body

    @control("/orders", methods=["POST"])
    def control_orders(self, request: Request) -> Response:
        self.site_url = request.host_url.rstrip("/")
        try:
            body = self._control_body(request)
            lines = [(str(line["sku"]), int(line["quantity"])) for line in body.get("lines") or []]
        except (ValueError, TypeError, KeyError) as exc:
            return json_response(
                {"error": f"expected {{'lines': [{{'sku', 'quantity'}}]}}: {exc}"}, status=400
            )
        if not lines:
            return json_response({"error": "an order needs at least one line"}, status=400)
        with self.lock:
            unknown = [sku for sku, _ in lines if self.store.product_by_sku(sku) is None]
        if unknown:
            return json_response({"error": f"unknown sku(s): {', '.join(unknown)}"}, status=400)
        params = {
            "set_paid": True,
            "payment_method": "sandbox",
            "payment_method_title": "Sandbox card",
            "billing": body.get("billing")
            or {"first_name": "Sandbox", "last_name": "Shopper", "email": "shopper@example.com"},
            "line_items": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        }
        try:
            _, data = self.place_order(params)
        except WpError as error:
            return error.response
        return json_response(data, status=201)

    @control("/products", methods=["GET"])
    def control_products(self, request: Request) -> Response:
        with self.lock:
            listing = {
                p.sku: {
                    "product_id": p.parent_id if p.type == "variation" else p.id,
                    "variation_id": p.id if p.type == "variation" else 0,
                    "stock_quantity": p.stock_quantity,
                    "manage_stock": p.manage_stock,
                }
                for p in self.store.products.values()
                if p.sku and p.status != "trash"
            }
        return json_response(listing)

    @control("/stock", methods=["POST"])
    def control_stock(self, request: Request) -> Response:
        try:
            body = self._control_body(request)
            sku, quantity = str(body["sku"]), int(body["stock_quantity"])
        except (ValueError, TypeError, KeyError) as exc:
            return json_response({"error": f"expected {{'sku', 'stock_quantity'}}: {exc}"}, status=400)
        events = Events()
        with self.lock:
            product = self.store.product_by_sku(sku)
            if product is None:
                return json_response({"error": f"unknown sku {sku!r}"}, status=404)
            product.manage_stock = True  # an admin edits stock with "Manage stock?" ticked
            set_stock(self.store, product, quantity, self.clock.now(), events)
            answer = {
                "sku": product.sku,
                "product_id": product.id,
                "stock_quantity": product.stock_quantity,
                "stock_status": product.stock_status,
            }
            deliveries = self.collect(events)
        self.send(deliveries)
        return json_response(answer)

    @control("/subscriptions", methods=["GET"])
    def control_subscriptions(self, request: Request) -> Response:
        with self.lock:
            hooks = [
                {
                    "id": w.id,
                    "topic": w.topic,
                    "status": w.status,
                    "failure_count": w.failure_count,
                    "delivery_url": w.delivery_url,
                }
                for w in sorted(self.store.webhooks.values(), key=lambda w: w.id)
            ]
        return json_response({"webhooks": hooks})
