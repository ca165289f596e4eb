"""The REST Admin API resources the hub still uses: orders (list, count, get, create, cancel,
refunds, fulfilment), Shopify Payments payouts and balance transactions, webhooks, shop and
locations. Handlers run under the platform lock and return (status, body, extra headers)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request

from channels.sandbox.kit import ApiError, json_response

from . import orders, payouts, render, webhooks
from .rest_paging import (
    ListRequest,
    bad_request,
    link_header,
    only_fields,
    page,
    parse_int,
    parse_list,
    parse_time,
)
from .store import Order
from .topics import REST_TOPICS

if TYPE_CHECKING:
    from .app import ShopifySandbox

Result = tuple[int, Any, dict[str, str]]
NOT_FOUND = ApiError(json_response({"errors": "Not Found"}, status=404))

ORDER_STATUSES = ("open", "closed", "cancelled", "any")
FINANCIAL = {"authorized", "pending", "paid", "partially_paid", "refunded", "voided", "partially_refunded"}


def unprocessable(error: orders.OrderError) -> ApiError:
    return ApiError(json_response({"errors": error.errors}, status=error.status))


class RestApi:
    def __init__(self, platform: ShopifySandbox) -> None:
        self.platform = platform

    @property
    def store(self) -> Any:
        return self.platform.store

    # -- orders ----------------------------------------------------------------------------------

    def _order_filter(self, filters: dict[str, str]) -> Callable[[Order], bool]:
        tz = self.platform.tz
        status = filters.get("status", "open")
        if status not in ORDER_STATUSES:
            raise bad_request({"status": "is invalid"})
        financial = filters.get("financial_status", "any")
        fulfillment = filters.get("fulfillment_status", "any")
        ids = (
            {int(x) for x in filters.get("ids", "").split(",") if x.strip().isdigit()}
            if filters.get("ids")
            else None
        )
        since_id = parse_int(filters, "since_id")
        names = ("created_at", "updated_at", "processed_at")
        bounds = [
            (name, suffix, bound)
            for name in names
            for suffix in ("min", "max")
            if (bound := parse_time(filters, f"{name}_{suffix}", tz)) is not None
        ]

        def keep(order: Order) -> bool:
            if status == "open" and (order.closed_at or order.cancelled_at):
                return False
            if status == "closed" and not order.closed_at:
                return False
            if status == "cancelled" and not order.cancelled_at:
                return False
            if financial not in ("any", "unpaid") and order.financial_status != financial:
                return False
            if financial == "unpaid" and order.financial_status not in (
                "pending",
                "authorized",
                "partially_paid",
            ):
                return False
            if fulfillment != "any":
                shipped = render.order_fulfillment_status(order)
                if fulfillment in ("shipped", "fulfilled") and shipped != "fulfilled":
                    return False
                if fulfillment == "partial" and shipped != "partial":
                    return False
                if fulfillment in ("unshipped", "unfulfilled") and shipped is not None:
                    return False
            if ids is not None and order.id not in ids:
                return False
            if since_id is not None and order.id <= since_id:
                return False
            for name, suffix, bound in bounds:
                value = getattr(order, name)
                if (value < bound) if suffix == "min" else (value > bound):
                    return False
            return True

        return keep

    def list_orders(self, request: Request) -> Result:
        listing = parse_list(request)
        keep = self._order_filter(listing.filters)
        descending = "since_id" not in listing.filters
        # Orders are stored in id order (ids come from a counter), so no sort is needed.
        found = [o for o in self.store.orders.values() if keep(o)]
        if descending:
            found.reverse()
        chosen, following, preceding = page(found, listing, key=lambda o: o.id, descending=descending)
        body = {
            "orders": [
                only_fields(render.order_json(self.store, o, self.platform.tz), listing.fields)
                for o in chosen
            ]
        }
        link = link_header(request, listing, following, preceding)
        return 200, body, {"Link": link} if link else {}

    def count_orders(self, request: Request) -> Result:
        filters = {k: v for k, v in request.args.items() if k not in ("limit", "fields", "page_info")}
        keep = self._order_filter(filters)
        return 200, {"count": sum(1 for o in self.store.orders.values() if keep(o))}, {}

    def _order(self, order_id: int) -> Order:
        order = self.store.orders.get(order_id)
        if order is None:
            raise NOT_FOUND
        return order

    def get_order(self, request: Request, order_id: int) -> Result:
        order = self._order(order_id)
        fields = request.args.get("fields")
        wanted = [f.strip() for f in fields.split(",")] if fields else None
        return 200, {"order": only_fields(render.order_json(self.store, order, self.platform.tz), wanted)}, {}

    def create_order(self, body: Any) -> Result:
        platform = self.platform
        try:
            order, effects = orders.create(self.store, body, now=platform.clock.now(), fees=platform.fees)
        except orders.OrderError as exc:
            raise unprocessable(exc) from exc
        platform.queue_order_events(order, effects)
        return 201, {"order": render.order_json(self.store, order, platform.tz)}, {}

    def cancel_order(self, order_id: int, body: Any) -> Result:
        order = self._order(order_id)
        try:
            effects = orders.cancel(self.store, order, body, now=self.platform.clock.now())
        except orders.OrderError as exc:
            raise unprocessable(exc) from exc
        self.platform.queue_order_events(order, effects)
        return 200, {"order": render.order_json(self.store, order, self.platform.tz)}, {}

    def calculate_refund(self, order_id: int, body: Any) -> Result:
        order = self._order(order_id)
        try:
            return 200, {"refund": orders.calculate_refund(self.store, order, body)}, {}
        except orders.OrderError as exc:
            raise unprocessable(exc) from exc

    def create_refund(self, order_id: int, body: Any) -> Result:
        order = self._order(order_id)
        try:
            effects = orders.refund(self.store, order, body, now=self.platform.clock.now())
        except orders.OrderError as exc:
            raise unprocessable(exc) from exc
        self.platform.queue_order_events(order, effects)
        assert effects.refund is not None
        return 201, {"refund": render.refund_json(self.store, order, effects.refund, self.platform.tz)}, {}

    def list_refunds(self, order_id: int) -> Result:
        order = self._order(order_id)
        tz = self.platform.tz
        return 200, {"refunds": [render.refund_json(self.store, order, r, tz) for r in order.refunds]}, {}

    def fulfillment_orders(self, order_id: int) -> Result:
        order = self._order(order_id)
        return 200, {"fulfillment_orders": [render.fulfillment_order_json(order, self.store)]}, {}

    def create_fulfillment(self, body: Any) -> Result:
        payload = body.get("fulfillment") if isinstance(body, dict) else None
        if not isinstance(payload, dict):
            raise bad_request({"fulfillment": "Required parameter missing or invalid"})
        groups = payload.get("line_items_by_fulfillment_order")
        if not isinstance(groups, list) or not groups or not all(isinstance(g, dict) for g in groups):
            raise bad_request({"fulfillment": "Required parameter missing or invalid"})
        group = groups[0]
        fulfillment_order_id = parse_int({"id": str(group.get("fulfillment_order_id", ""))}, "id") or 0
        order = self.store.orders.get(self.store.fulfillment_orders.get(fulfillment_order_id, 0))
        if order is None:
            raise NOT_FOUND
        requested: dict[int, int | None] = {}
        for line in group.get("fulfillment_order_line_items") or ():
            try:
                quantity = line.get("quantity")
                requested[int(line["id"])] = int(quantity) if quantity is not None else None
            except (AttributeError, KeyError, TypeError, ValueError) as exc:
                raise bad_request({"fulfillment_order_line_items": "is invalid"}) from exc
        try:
            effects = orders.fulfil(
                self.store,
                order,
                requested,
                now=self.platform.clock.now(),
                tracking=payload.get("tracking_info"),
            )
        except orders.OrderError as exc:
            raise unprocessable(exc) from exc
        self.platform.queue_order_events(order, effects)
        assert effects.fulfillment is not None
        return (
            201,
            {
                "fulfillment": render.fulfillment_json(
                    order, effects.fulfillment, self.store, self.platform.tz
                )
            },
            {},
        )

    # -- Shopify Payments -------------------------------------------------------------------------

    def list_payouts(self, request: Request) -> Result:
        listing = parse_list(request)
        filters = listing.filters
        status = filters.get("status")
        bounds = {}
        for name in ("date_min", "date_max", "date"):
            if filters.get(name):
                try:
                    bounds[name] = date.fromisoformat(filters[name]).isoformat()
                except ValueError as exc:
                    raise bad_request({name: "is invalid"}) from exc
        since_id, last_id = parse_int(filters, "since_id"), parse_int(filters, "last_id")
        found = [
            p
            for p in self.store.payouts.values()
            if (status is None or p.status == status)
            and ("date_min" not in bounds or p.date >= bounds["date_min"])
            and ("date_max" not in bounds or p.date <= bounds["date_max"])
            and ("date" not in bounds or p.date == bounds["date"])
            and (since_id is None or p.id > since_id)
            and (last_id is None or p.id < last_id)
        ]
        found.sort(key=lambda p: p.id, reverse=True)
        return self._paged(request, listing, found, "payouts", payouts.payout_json)

    def get_payout(self, payout_id: int) -> Result:
        payout = self.store.payouts.get(payout_id)
        if payout is None:
            raise NOT_FOUND
        return 200, {"payout": payouts.payout_json(payout)}, {}

    def list_balance_transactions(self, request: Request) -> Result:
        listing = parse_list(request)
        filters = listing.filters
        payout_id = parse_int(filters, "payout_id")
        payout_status = filters.get("payout_status")
        since_id, last_id = parse_int(filters, "since_id"), parse_int(filters, "last_id")
        store = self.store

        def status_of(entry: Any) -> str:
            payout = store.payouts.get(entry.payout_id or 0)
            return payout.status if payout else "pending"

        found = [
            e
            for e in store.balance.values()
            if (payout_id is None or e.payout_id == payout_id)
            and (payout_status is None or status_of(e) == payout_status)
            and (since_id is None or e.id > since_id)
            and (last_id is None or e.id < last_id)
        ]
        found.sort(key=lambda e: e.id, reverse=True)
        return self._paged(
            request,
            listing,
            found,
            "transactions",
            lambda e: payouts.balance_json(store, e, self.platform.tz),
        )

    def balance(self) -> Result:
        pending = sum(
            (Decimal(e.net) for e in self.store.balance.values() if e.payout_id is None), Decimal(0)
        )
        return 200, {"balance": [{"currency": "USD", "amount": render.money(pending)}]}, {}

    def _paged(
        self,
        request: Request,
        listing: ListRequest,
        found: list[Any],
        name: str,
        to_json: Callable[[Any], dict],
    ) -> Result:
        chosen, following, preceding = page(found, listing, key=lambda x: x.id, descending=True)
        link = link_header(request, listing, following, preceding)
        return (
            200,
            {name: [only_fields(to_json(x), listing.fields) for x in chosen]},
            {"Link": link} if link else {},
        )

    # -- webhooks, shop, locations -------------------------------------------------------------------

    def list_webhooks(self, request: Request) -> Result:
        topic, address = request.args.get("topic"), request.args.get("address")
        subs = [
            s
            for s in sorted(self.store.subscriptions.values(), key=lambda s: s.id)
            if (topic is None or s.topic == topic) and (address is None or s.uri == address)
        ]
        return 200, {"webhooks": [webhooks.subscription_json(s, self.platform.tz) for s in subs]}, {}

    def create_webhook(self, body: Any, version: str) -> Result:
        payload = body.get("webhook") if isinstance(body, dict) else None
        if not isinstance(payload, dict):
            raise bad_request({"webhook": "Required parameter missing or invalid"})
        topic = payload.get("topic")
        if topic not in REST_TOPICS:
            raise ApiError(
                json_response({"errors": {"topic": [f"Invalid topic specified: {topic}"]}}, status=422)
            )
        problem = webhooks.validate_address(self.store, topic, payload.get("address"))
        if problem:
            message = problem.removeprefix("Address ").strip()
            raise ApiError(json_response({"errors": {"address": [message]}}, status=422))
        sub = webhooks.subscribe(
            self.store,
            topic=topic,
            uri=str(payload["address"]),
            api_version=version,
            now=self.platform.clock.now(),
            include_fields=payload.get("fields"),
        )
        return 201, {"webhook": webhooks.subscription_json(sub, self.platform.tz)}, {}

    def get_webhook(self, webhook_id: int) -> Result:
        sub = self.store.subscriptions.get(webhook_id)
        if sub is None:
            raise NOT_FOUND
        return 200, {"webhook": webhooks.subscription_json(sub, self.platform.tz)}, {}

    def delete_webhook(self, webhook_id: int) -> Result:
        if self.store.subscriptions.pop(webhook_id, None) is None:
            raise NOT_FOUND
        return 200, {}, {}

    def shop(self) -> Result:
        platform = self.platform
        return (
            200,
            {
                "shop": {
                    "id": 1,
                    "name": platform.shop_name,
                    "email": f"owner@{platform.shop_domain}",
                    "domain": platform.shop_domain,
                    "myshopify_domain": platform.shop_domain,
                    "currency": "USD",
                    "iana_timezone": platform.timezone,
                    "plan_name": "basic",
                    "primary_location_id": self.store.primary_location_id,
                }
            },
            {},
        )

    def locations(self) -> Result:
        tz = self.platform.tz
        found = [
            {
                "id": loc.id,
                "name": loc.name,
                "active": loc.active,
                "legacy": False,
                "created_at": render.shop_time(loc.created_at, tz),
                "updated_at": render.shop_time(loc.updated_at, tz),
                "admin_graphql_api_id": f"gid://shopify/Location/{loc.id}",
            }
            for loc in sorted(self.store.locations.values(), key=lambda loc: loc.id)
        ]
        return 200, {"locations": found}, {}
