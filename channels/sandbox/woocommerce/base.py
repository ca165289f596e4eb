"""What every WooCommerce route shares: the request pipeline in WordPress's order, responses,
write bookkeeping and turning a request's events into webhook deliveries.

WordPress answers an authentication error (a wrong secret, a bad OAuth signature) before it
looks at the route; then a malformed JSON body or an invalid argument (400); only then the
route's permission check, which turns an anonymous request away with 401; then the handler.
"""

from __future__ import annotations

import itertools
from typing import Any

from werkzeug.wrappers import Request, Response

from channels.sandbox.kit import Delivery, SandboxPlatform

from . import render, webhooks
from .auth import Authenticator
from .events import Events
from .params import Arg, body_params, query_params, validate
from .store import Store
from .wp import WpError, wp_response

API = "/wp-json/wc/v3"

CANNOT_LIST = ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
CANNOT_VIEW = ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource.")
CANNOT_CREATE = ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources.")
CANNOT_EDIT = ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource.")
CANNOT_DELETE = ("woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource.")
CANNOT_BATCH = (
    "woocommerce_rest_cannot_batch",
    "Sorry, you are not allowed to batch manipulate this resource.",
)
EDITABLE = ("POST", "PUT", "PATCH")  # WP_REST_Server::EDITABLE


class WooBase(SandboxPlatform):
    name = "woocommerce"
    webhook_retry_delays = ()

    store: Store
    auth: Authenticator
    site_url: str
    delivery_salt: str
    _write_seq: itertools.count

    # -- pipeline --------------------------------------------------------------------------------

    def begin(self, request: Request, args: dict[str, Arg] | None = None) -> tuple[dict[str, Any], bool]:
        """Authenticate, read and validate; returns (params, authenticated)."""
        self.site_url = request.host_url.rstrip("/")
        query = query_params(request)
        authenticated = self.auth.authenticate(request, query)
        params = {**query, **body_params(request)}
        if args:
            params = validate(params, args)
        return params, authenticated

    @staticmethod
    def permit(authenticated: bool, denial: tuple[str, str]) -> None:
        if not authenticated:
            raise WpError(denial[0], denial[1], 401)

    def note(self, request: Request, what: str) -> None:
        """Record an applied write. WooCommerce has no idempotency keys; when a client sends an
        Idempotency-Key header anyway it names the write, so a test can prove a retry did not
        apply twice. Otherwise every write gets a unique name."""
        key = request.headers.get("Idempotency-Key") or request.headers.get("X-Idempotency-Key")
        self.note_write(request, f"{key}:{what}" if key else f"{what}#{next(self._write_seq)}")

    @staticmethod
    def respond(
        data: Any, status: int = 200, headers: list[tuple[str, str]] | None = None, fields: Any = None
    ) -> Response:
        if fields:
            data = (
                [render.only_fields(d, fields) for d in data]
                if isinstance(data, list)
                else (render.only_fields(data, fields))
            )
        return wp_response(data, status=status, headers=headers)

    # -- webhooks --------------------------------------------------------------------------------

    def collect(self, events: Events) -> list[Delivery]:
        """Deliveries for a request's events; call with the lock held so payloads are consistent."""
        return webhooks.deliveries(
            self.store,
            events,
            site=self.site_url,
            now=self.clock.now(),
            salt=self.delivery_salt,
            payload=self._payload,
        )

    def send(self, deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            self.webhooks.submit(delivery)

    def _payload(self, resource: str, resource_id: int) -> dict[str, Any] | None:
        if resource == "product":
            product = self.store.products.get(resource_id)
            return render.product_json(self.store, product, self.site_url) if product else None
        if resource == "order":
            order = self.store.orders.get(resource_id)
            return render.order_json(order, self.site_url) if order else None
        return None

    def delivery_outcome(self, delivery: Delivery, status: int) -> None:
        with self.lock:
            webhook = self.store.webhooks.get(int(delivery.headers.get("X-WC-Webhook-ID", "0")))
            if webhook is not None:
                webhooks.record_outcome(webhook, status)
