"""The Shopify sandbox: a WSGI emulator of the Admin API surface the hub uses.

Routes (all under /admin/api/<version>/, authenticated with X-Shopify-Access-Token):
graphql.json; orders.json, orders/count.json, orders/<id>.json, orders/<id>/cancel.json,
orders/<id>/refunds.json, orders/<id>/refunds/calculate.json, orders/<id>/fulfillment_orders.json,
fulfillments.json; shopify_payments/payouts.json, payouts/<id>.json, balance.json,
balance/transactions.json; webhooks.json, webhooks/<id>.json; shop.json; locations.json.

Control routes (beyond the kit's): POST /_sandbox/orders, POST /_sandbox/products, GET /_sandbox/variants,
POST /_sandbox/inventory, POST /_sandbox/payouts/run, POST /_sandbox/plan.

Deviations from Shopify, on purpose or for want of documentation: webhook addresses may be
http:// (loopback receivers); a duplicated delivery (knob) reuses its X-Shopify-Webhook-Id, as
retries do; subscriptions are never removed after repeated failures; one fulfillment order per
order, whose line item ids equal the order's; payouts move only when /_sandbox/payouts/run is
called (a scheduler's job); a 5xx fault is a small JSON body, not an HTML error page; the throttle
knob on GraphQL answers Shopify's HTTP 200 THROTTLED body, on REST the 429; REST `limit` out of
range answers 400 {"errors":"Invalid request parameters"} (the exact body is not documented).
Faithful on purpose although surprising: `quantityAfterChange` is null in inventory mutation
answers, and the app's own stock writes come back as inventory_levels/update webhooks.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from werkzeug.wrappers import Request, Response

from channels.sandbox.kit import ApiError, Knobs, SandboxPlatform, api, control, json_response

from . import inventory, payouts, render, versions, webhooks
from .graphql_api import GraphQLEndpoint
from .orders import Effects, Fees
from .ratelimit import CostBucket, LeakyBucket
from .rest import RestApi
from .store import Order, ShopifyStore

INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
REST_THROTTLED = (
    "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
)
PREFIX = "/admin/api/<version>"


class ShopifySandbox(SandboxPlatform):
    name = "shopify"

    def __init__(
        self,
        *,
        knobs: Knobs | None = None,
        snapshot_path: str | Path | None = None,
        shop_domain: str = "sandbox-shop.myshopify.com",
        access_token: str = "shpat_sandbox_token",
        api_secret: str = "sandbox-shopify-secret",
        restore_rate: float = 100.0,
        maximum_available: float = 2000.0,
        timezone: str = "UTC",
        holidays: Iterable[str] = (),
        webhook_retry_delays: Iterable[float] = (1, 2, 5, 10, 30),
        shop_name: str = "Sandbox Home Goods",
        fee_percent: str | Decimal = "2.9",
        fee_fixed: str | Decimal = "0.30",
        rest_capacity: int = 40,
        rest_leak_rate: float = 2.0,
    ) -> None:
        self.rest_capacity = rest_capacity
        self.rest_leak_rate = rest_leak_rate
        self.initial_rest = (rest_capacity, rest_leak_rate)
        self.shop_domain = shop_domain
        self.shop_name = shop_name
        self.access_token = access_token
        self.api_secret = api_secret
        self.initial_plan = (float(restore_rate), float(maximum_available))
        self.plan_restore_rate, self.plan_maximum = self.initial_plan
        self.timezone = timezone
        self.tz = ZoneInfo(timezone)
        self.holidays = frozenset(str(day) for day in holidays)
        self.webhook_retry_delays = tuple(float(d) for d in webhook_retry_delays)
        self.fees = Fees(Decimal(str(fee_percent)), Decimal(str(fee_fixed)))
        self.store = ShopifyStore()
        self.graphql = GraphQLEndpoint(self)
        self.rest = RestApi(self)
        self._outbox: list[tuple[str, dict[str, Any]]] = []
        self._outbox_lock = threading.Lock()
        super().__init__(knobs=knobs, snapshot_path=snapshot_path)

    # -- SandboxPlatform hooks -------------------------------------------------------------------

    def _reset_limits(self) -> None:
        now = self.clock.now()
        self.cost_bucket = CostBucket(maximum=self.plan_maximum, restore_rate=self.plan_restore_rate, now=now)
        self.rest_bucket = LeakyBucket(now, self.rest_capacity, self.rest_leak_rate)

    def seed(self) -> None:
        with self.lock:
            self.store.seed(self.clock.now())
            self.plan_restore_rate, self.plan_maximum = self.initial_plan
            self.rest_capacity, self.rest_leak_rate = self.initial_rest
            self._reset_limits()
            with self._outbox_lock:
                self._outbox = []

    def stock_by_sku(self) -> dict[str, Any]:
        store = self.store
        stock = {}
        for variant in store.variants.values():
            if not store.items[variant.inventory_item_id].tracked:
                continue
            level = store.levels.get((variant.inventory_item_id, store.primary_location_id))
            stock[variant.sku] = level.get("available") if level else 0
        return stock

    def fault_response(self, kind: str, request: Request) -> Response:
        version = request.path.split("/")[3] if request.path.startswith("/admin/api/") else "unstable"
        version = versions.resolve(version, self.clock.now().date()) or "unstable"
        if kind == "throttle":
            if request.path.endswith("/graphql.json"):
                return self.graphql.throttled_response(request, version)
            headers = {
                **self.api_headers(version),
                "Retry-After": "2.0",
                "X-Shopify-Shop-Api-Call-Limit": "40/40",
            }
            return json_response({"errors": REST_THROTTLED}, status=429, headers=headers)
        return json_response(
            {"errors": "Internal Server Error"}, status=500, headers=self.api_headers(version)
        )

    def snapshot_state(self) -> dict[str, Any]:
        return {
            "store": self.store.to_dict(),
            "plan": {"restore_rate": self.cost_bucket.restore_rate, "maximum": self.cost_bucket.maximum},
        }

    def restore_state(self, state: dict[str, Any]) -> None:
        with self.lock:
            self.store.load_dict(state["store"])
            self.plan_restore_rate = float(state["plan"]["restore_rate"])
            self.plan_maximum = float(state["plan"]["maximum"])
            self._reset_limits()

    def credentials(self) -> dict[str, Any]:
        return {
            "shop_domain": self.shop_domain,
            "access_token": self.access_token,
            "api_secret": self.api_secret,
            "api_version": versions.latest_stable(self.clock.now().date()),
            "location_id": f"gid://shopify/Location/{self.store.primary_location_id}",
            "timezone": self.timezone,
        }

    # -- shared plumbing -------------------------------------------------------------------------

    def api_headers(self, version: str) -> dict[str, str]:
        return {"X-Shopify-API-Version": version, "X-Request-Id": str(uuid.uuid4())}

    def _admit(self, request: Request, version: str) -> str:
        """The version that serves this request, after the path and token checks."""
        resolved = versions.resolve(version, self.clock.now().date())
        if resolved is None:
            raise ApiError(json_response({"errors": "Not Found"}, status=404))
        if request.headers.get("X-Shopify-Access-Token") != self.access_token:
            raise ApiError(
                json_response({"errors": INVALID_TOKEN}, status=401, headers=self.api_headers(resolved))
            )
        return resolved

    @staticmethod
    def _json_body(request: Request) -> Any:
        raw = request.get_data(as_text=True)
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ApiError(json_response({"errors": "Invalid JSON in request body"}, status=400)) from exc

    def _rest(self, request: Request, version: str, handler: Any, *args: Any, body: bool = False) -> Response:
        resolved = self._admit(request, version)
        headers = self.api_headers(resolved)
        with self.lock:
            if not self.rest_bucket.take(self.clock.now()):
                headers.update(
                    {"Retry-After": "2.0", "X-Shopify-Shop-Api-Call-Limit": self.rest_bucket.header}
                )
                return json_response({"errors": REST_THROTTLED}, status=429, headers=headers)
            headers["X-Shopify-Shop-Api-Call-Limit"] = self.rest_bucket.header
            try:
                payload = (self._json_body(request),) if body else ()
                status, data, extra = handler(*args, *payload)
            except ApiError as exc:
                exc.response.headers.update(headers)
                raise
        self.publish(self._take_outbox())
        return json_response(data, status=status, headers={**headers, **extra})

    def queue_order_events(self, order: Order, effects: Effects) -> None:
        """Render the webhook bodies of an order change now (under the lock) and queue them."""
        store = self.store
        for topic in effects.topics:
            if topic == "refunds/create" and effects.refund is not None:
                payload = render.refund_json(store, order, effects.refund, self.tz)
            elif topic == "fulfillments/create" and effects.fulfillment is not None:
                payload = render.fulfillment_json(order, effects.fulfillment, store, self.tz)
            else:
                payload = render.order_json(store, order, self.tz)
            self._queue(topic, payload)
        for level in effects.levels:
            self._queue("inventory_levels/update", render.level_json(level, self.tz))

    def _queue(self, topic: str, payload: dict[str, Any]) -> None:
        with self._outbox_lock:
            self._outbox.append((topic, payload))

    def _take_outbox(self) -> list[tuple[str, dict[str, Any]]]:
        with self._outbox_lock:
            events, self._outbox = self._outbox, []
        return events

    def publish(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        if not events:
            return
        with self.lock:
            now = self.clock.now()
            batch = [
                delivery
                for topic, payload in events
                for delivery in webhooks.deliveries(
                    self.store, topic, payload, shop_domain=self.shop_domain, secret=self.api_secret, now=now
                )
            ]
        for delivery in batch:
            self.webhooks.submit(delivery)

    # -- GraphQL ---------------------------------------------------------------------------------

    @api(PREFIX + "/graphql.json", methods=["POST"])
    def graphql_endpoint(self, request: Request, version: str) -> Response:
        resolved = self._admit(request, version)
        return self.graphql.handle(request, resolved)

    # -- REST: orders ----------------------------------------------------------------------------

    @api(PREFIX + "/orders.json", methods=["GET", "POST"])
    def orders_collection(self, request: Request, version: str) -> Response:
        if request.method == "POST":
            return self._rest(request, version, self.rest.create_order, body=True)
        return self._rest(request, version, self.rest.list_orders, request)

    @api(PREFIX + "/orders/count.json")
    def orders_count(self, request: Request, version: str) -> Response:
        return self._rest(request, version, self.rest.count_orders, request)

    @api(PREFIX + "/orders/<int:order_id>.json")
    def order_detail(self, request: Request, version: str, order_id: int) -> Response:
        return self._rest(request, version, self.rest.get_order, request, order_id)

    @api(PREFIX + "/orders/<int:order_id>/cancel.json", methods=["POST"])
    def order_cancel(self, request: Request, version: str, order_id: int) -> Response:
        return self._rest(request, version, self.rest.cancel_order, order_id, body=True)

    @api(PREFIX + "/orders/<int:order_id>/refunds.json", methods=["GET", "POST"])
    def order_refunds(self, request: Request, version: str, order_id: int) -> Response:
        if request.method == "POST":
            return self._rest(request, version, self.rest.create_refund, order_id, body=True)
        return self._rest(request, version, self.rest.list_refunds, order_id)

    @api(PREFIX + "/orders/<int:order_id>/refunds/calculate.json", methods=["POST"])
    def order_refund_calculate(self, request: Request, version: str, order_id: int) -> Response:
        return self._rest(request, version, self.rest.calculate_refund, order_id, body=True)

    @api(PREFIX + "/orders/<int:order_id>/fulfillment_orders.json")
    def order_fulfillment_orders(self, request: Request, version: str, order_id: int) -> Response:
        return self._rest(request, version, self.rest.fulfillment_orders, order_id)

    @api(PREFIX + "/fulfillments.json", methods=["POST"])
    def fulfillments(self, request: Request, version: str) -> Response:
        return self._rest(request, version, self.rest.create_fulfillment, body=True)

    # -- REST: Shopify Payments ------------------------------------------------------------------

    @api(PREFIX + "/shopify_payments/payouts.json")
    def payouts_list(self, request: Request, version: str) -> Response:
        return self._rest(request, version, self.rest.list_payouts, request)

    @api(PREFIX + "/shopify_payments/payouts/<int:payout_id>.json")
    def payout_detail(self, request: Request, version: str, payout_id: int) -> Response:
        return self._rest(request, version, self.rest.get_payout, payout_id)

    @api(PREFIX + "/shopify_payments/balance/transactions.json")
    def balance_transactions(self, request: Request, version: str) -> Response:
        return self._rest(request, version, self.rest.list_balance_transactions, request)

    @api(PREFIX + "/shopify_payments/balance.json")
    def balance(self, request: Request, version: str) -> Response:
        return self._rest(request, version, self.rest.balance)

    # -- REST: webhooks, shop, locations ---------------------------------------------------------

    @api(PREFIX + "/webhooks.json", methods=["GET", "POST"])
    def webhooks_collection(self, request: Request, version: str) -> Response:
        if request.method == "POST":
            resolved = versions.resolve(version, self.clock.now().date()) or version
            return self._rest(
                request, version, lambda body: self.rest.create_webhook(body, resolved), body=True
            )
        return self._rest(request, version, self.rest.list_webhooks, request)

    @api(PREFIX + "/webhooks/<int:webhook_id>.json", methods=["GET", "DELETE"])
    def webhook_detail(self, request: Request, version: str, webhook_id: int) -> Response:
        if request.method == "DELETE":
            return self._rest(request, version, self.rest.delete_webhook, webhook_id)
        return self._rest(request, version, self.rest.get_webhook, webhook_id)

    @api(PREFIX + "/shop.json")
    def shop(self, request: Request, version: str) -> Response:
        return self._rest(request, version, self.rest.shop)

    @api(PREFIX + "/locations.json")
    def locations(self, request: Request, version: str) -> Response:
        return self._rest(request, version, self.rest.locations)

    # -- control ---------------------------------------------------------------------------------

    def _control_body(self, request: Request) -> dict[str, Any]:
        body = self._json_body(request) or {}
        if not isinstance(body, dict):
            raise ApiError(json_response({"error": "body must be a JSON object"}, status=400))
        return body

    @control("/orders", methods=["POST"])
    def control_orders(self, request: Request) -> Response:
        """A shopper's order by SKU, through the same code path as POST orders.json."""
        body = self._control_body(request)
        lines = body.get("lines")
        if not isinstance(lines, list) or not lines:
            return json_response({"errors": {"lines": ["can't be blank"]}}, status=422)
        with self.lock:
            line_items = []
            for line in lines:
                sku = str(line.get("sku", "")) if isinstance(line, dict) else ""
                variant = self.store.variant_by_sku(sku)
                if variant is None:
                    return json_response({"errors": {"lines": [f"unknown sku {sku!r}"]}}, status=422)
                line_items.append({"variant_id": variant.id, "quantity": line.get("quantity", 1)})
            order_body = {
                "order": {
                    "line_items": line_items,
                    "financial_status": body.get("financial_status", "paid"),
                    "inventory_behaviour": body.get("inventory_behaviour", "decrement_obeying_policy"),
                    "email": body.get("email", "shopper@example.com"),
                }
            }
            try:
                status, data, _ = self.rest.create_order(order_body)
            except ApiError as exc:
                return exc.response
        self.publish(self._take_outbox())
        return json_response(data, status=status)

    @control("/products", methods=["POST"])
    def control_products(self, request: Request) -> Response:
        """A merchant adding products in the admin: {"products": [{"title", "variants": [{"sku",
        "barcode", "price", "available", "tracked"}]}]}. Each variant is stocked at the primary
        location. Answers the created variants by SKU, as GET /_sandbox/variants shows them."""
        body = self._control_body(request)
        specs = body.get("products")
        if not isinstance(specs, list) or not all(
            isinstance(p, dict) and isinstance(p.get("variants", []), list) for p in specs
        ):
            return json_response({"error": "products must be a list of objects with variants"}, status=400)
        created: list[dict[str, Any]] = []
        with self.lock:
            now = self.clock.now()
            for spec in specs:
                variants = [v for v in spec.get("variants") or [{}] if isinstance(v, dict)]
                try:
                    product = self.store.add_product(
                        title=str(spec.get("title") or "Untitled product"), variants=variants, now=now
                    )
                except (TypeError, ValueError) as exc:
                    return json_response({"error": f"bad variant: {exc}"}, status=400)
                for variant_id in product.variant_ids:
                    variant = self.store.variants[variant_id]
                    created.append(
                        {
                            "sku": variant.sku,
                            "variant_id": variant.id,
                            "inventory_item_id": variant.inventory_item_id,
                            "product_id": product.id,
                        }
                    )
        return json_response({"created": created}, status=201)

    @control("/variants")
    def control_variants(self, request: Request) -> Response:
        with self.lock:
            store = self.store
            result = {}
            for variant in sorted(store.variants.values(), key=lambda v: v.id):
                level = store.levels.get((variant.inventory_item_id, store.primary_location_id))
                result[variant.sku] = {
                    "variant_id": variant.id,
                    "inventory_item_id": variant.inventory_item_id,
                    "product_id": variant.product_id,
                    "available": level.get("available") if level else 0,
                    "tracked": store.items[variant.inventory_item_id].tracked,
                }
        return json_response(result)

    @control("/inventory", methods=["POST"])
    def control_inventory(self, request: Request) -> Response:
        """A merchant's manual edit in the Shopify admin: sets available, fires the webhook."""
        body = self._control_body(request)
        try:
            available = int(body["available"])
        except (KeyError, TypeError, ValueError):
            return json_response({"error": "available must be an integer"}, status=400)
        with self.lock:
            variant = self.store.variant_by_sku(str(body.get("sku", "")))
            if variant is None:
                return json_response({"error": f"unknown sku {body.get('sku')!r}"}, status=404)
            try:
                location_id = int(body.get("location_id") or self.store.primary_location_id)
            except (TypeError, ValueError):
                return json_response({"error": "location_id must be an integer"}, status=400)
            level = self.store.levels.get((variant.inventory_item_id, location_id))
            if level is None:
                return json_response({"error": "the item is not stocked at that location"}, status=404)
            now = self.clock.now()
            delta = available - level.get("available")
            inventory.move_available(self.store, level, available=delta, committed=0, now=now)
            self._queue("inventory_levels/update", render.level_json(level, self.tz))
        self.publish(self._take_outbox())
        return json_response({"sku": variant.sku, "available": available, "location_id": location_id})

    @control("/payouts/run", methods=["POST"])
    def control_payouts_run(self, request: Request) -> Response:
        with self.lock:
            created = payouts.run(self.store, now=self.clock.now(), tz=self.tz, holidays=self.holidays)
            every = sorted(self.store.payouts.values(), key=lambda p: p.id)
            return json_response(
                {
                    "created": [payouts.payout_json(p) for p in created],
                    "payouts": [payouts.payout_json(p) for p in every],
                }
            )

    @control("/plan", methods=["GET", "POST"])
    def control_plan(self, request: Request) -> Response:
        body = self._control_body(request) if request.method == "POST" else {}
        try:
            restore = float(body["restore_rate"]) if "restore_rate" in body else None
            maximum = float(body["maximum"]) if "maximum" in body else None
        except (TypeError, ValueError):
            return json_response({"error": "restore_rate and maximum must be numbers"}, status=400)
        if (restore is not None and restore <= 0) or (maximum is not None and maximum <= 0):
            return json_response({"error": "restore_rate and maximum must be positive"}, status=400)
        with self.lock:
            self.cost_bucket.set_plan(maximum=maximum, restore_rate=restore, now=self.clock.now())
            self.plan_restore_rate = self.cost_bucket.restore_rate
            self.plan_maximum = self.cost_bucket.maximum
            if "rest_capacity" in body or "rest_leak_rate" in body:
                self.rest_capacity = int(body.get("rest_capacity", self.rest_capacity))
                self.rest_leak_rate = float(body.get("rest_leak_rate", self.rest_leak_rate))
                self.rest_bucket = LeakyBucket(self.clock.now(), self.rest_capacity, self.rest_leak_rate)
            return json_response(
                {
                    **self.cost_bucket.status(),
                    "restCapacity": self.rest_capacity,
                    "restLeakRate": self.rest_leak_rate,
                }
            )
