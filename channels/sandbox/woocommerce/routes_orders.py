"""/orders, /orders/<id>/refunds and /orders/batch.

Refund errors keep WooCommerce's quirk: the controller passes a bare number as the WP_Error data,
so WordPress answers HTTP 500 with `"data": 404` (unknown order), `"data": 400` (negative amount)
or `"data": 500` (anything wc_create_refund rejects, e.g. "Invalid refund amount.").
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from channels.sandbox.kit import api

from . import render
from .base import (
    API,
    CANNOT_BATCH,
    CANNOT_CREATE,
    CANNOT_DELETE,
    CANNOT_EDIT,
    CANNOT_LIST,
    CANNOT_VIEW,
    EDITABLE,
    WooBase,
)
from .events import Events
from .listing import ORDER_LIST_ARGS, order_filter, paginate, paging_headers, sort_key
from .models import Order
from .orders import ORDER_ARGS, REFUND_ARGS, create_order, create_refund, trash_order, update_order
from .params import PAGING, query_params
from .products import DELETE_ARGS, run_batch
from .routes_products import VIEW_ARGS, int_id
from .wp import WpError


def _order_missing(status: int) -> WpError:
    return WpError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", status)


def _no_price(_: Any) -> str:
    return ""


class OrderRoutes(WooBase):
    def place_order(self, params: dict[str, Any]) -> tuple[Order, dict[str, Any]]:
        """Create an order and send its webhooks; the REST endpoint and /_sandbox/orders share it."""
        events = Events()
        with self.lock:
            order = create_order(self.store, params, self.clock.now(), events)
            data = render.order_json(order, self.site_url)
            deliveries = self.collect(events)
        self.send(deliveries)
        return order, data

    @api(f"{API}/orders", methods=["GET"], name="orders.list")
    def orders_list(self, request: Request) -> Response:
        params, authenticated = self.begin(request, {**PAGING, **ORDER_LIST_ARGS})
        self.permit(authenticated, CANNOT_LIST)
        with self.lock:
            keep = order_filter(params)
            matched = [o for o in self.store.orders.values() if keep(o)]
            page, total, pages = paginate(matched, params, sort_key(params, _no_price))
            data = [render.order_json(o, self.site_url) for o in page]
        headers = paging_headers(request, self.site_url, query_params(request), total, pages)
        return self.respond(data, headers=headers, fields=params.get("_fields"))

    @api(f"{API}/orders", methods=["POST"], name="orders.create")
    def orders_create(self, request: Request) -> Response:
        params, authenticated = self.begin(request, ORDER_ARGS)
        self.permit(authenticated, CANNOT_CREATE)
        order, data = self.place_order(params)
        self.note(request, f"order:create:{order.id}")
        return self.respond(data, 201, headers=[("Location", f"{self.site_url}{API}/orders/{order.id}")])

    @api(f"{API}/orders/<int:order_id>", methods=["GET"], name="orders.get")
    def orders_get(self, request: Request, order_id: int) -> Response:
        params, authenticated = self.begin(request, VIEW_ARGS)
        with self.lock:
            order = self.store.orders.get(order_id)
            if order is None:
                raise _order_missing(404)
            self.permit(authenticated, CANNOT_VIEW)
            data = render.order_json(order, self.site_url)
        return self.respond(data, fields=params.get("_fields"))

    @api(f"{API}/orders/<int:order_id>", methods=EDITABLE, name="orders.update")
    def orders_update(self, request: Request, order_id: int) -> Response:
        params, authenticated = self.begin(request, ORDER_ARGS)
        events = Events()
        with self.lock:
            order = self.store.orders.get(order_id)
            if order is None:
                raise _order_missing(400)
            self.permit(authenticated, CANNOT_EDIT)
            update_order(self.store, order, params, self.clock.now(), events)
            data = render.order_json(order, self.site_url)
            deliveries = self.collect(events)
        self.note(request, f"order:update:{order_id}")
        self.send(deliveries)
        return self.respond(data)

    @api(f"{API}/orders/<int:order_id>", methods=["DELETE"], name="orders.delete")
    def orders_delete(self, request: Request, order_id: int) -> Response:
        params, authenticated = self.begin(request, DELETE_ARGS)
        events = Events()
        with self.lock:
            order = self.store.orders.get(order_id)
            if order is None:
                raise _order_missing(404)
            self.permit(authenticated, CANNOT_DELETE)
            data = render.order_json(order, self.site_url)
            trash_order(order, bool(params.get("force")), self.store, events)
            deliveries = self.collect(events)
        self.note(request, f"order:delete:{order_id}")
        self.send(deliveries)
        return self.respond(data)

    @api(f"{API}/orders/batch", methods=EDITABLE, name="orders.batch")
    def orders_batch(self, request: Request) -> Response:
        params, authenticated = self.begin(request)
        self.permit(authenticated, CANNOT_BATCH)
        events = Events()
        with self.lock:
            now, store, site = self.clock.now(), self.store, self.site_url

            def create(item: dict[str, Any]) -> dict[str, Any]:
                order = create_order(store, item, now, events)
                self.note(request, f"order:create:{order.id}")
                return render.order_json(order, site)

            def update(item: dict[str, Any]) -> dict[str, Any]:
                order = store.orders.get(int_id(item.get("id")))
                if order is None:
                    raise _order_missing(400)
                update_order(store, order, item, now, events)
                self.note(request, f"order:update:{order.id}")
                return render.order_json(order, site)

            def delete(order_id: int) -> dict[str, Any]:
                order = store.orders.get(order_id)
                if order is None:
                    raise _order_missing(404)
                data = render.order_json(order, site)
                trash_order(order, True, store, events)
                self.note(request, f"order:delete:{order_id}")
                return data

            result = run_batch(params, create=create, update=update, delete=delete)
            deliveries = self.collect(events)
        self.send(deliveries)
        return self.respond(result)

    # -- refunds ---------------------------------------------------------------------------------

    def _order_for_refunds(self, order_id: int) -> Order:
        order = self.store.orders.get(order_id)
        if order is None:
            raise WpError("woocommerce_rest_invalid_order_id", "Invalid order ID.", 500, bare_data=404)
        return order

    @api(f"{API}/orders/<int:order_id>/refunds", methods=["GET"], name="refunds.list")
    def refunds_list(self, request: Request, order_id: int) -> Response:
        params, authenticated = self.begin(request, PAGING)
        self.permit(authenticated, CANNOT_LIST)
        with self.lock:
            order = self.store.orders.get(order_id)
            refunds = list(order.refunds) if order is not None else []
            page, total, pages = paginate(refunds, params, lambda r: (r.date_created, r.id))
            data = [render.refund_json(order, r, self.site_url) for r in page] if order is not None else []
        headers = paging_headers(request, self.site_url, query_params(request), total, pages)
        return self.respond(data, headers=headers, fields=params.get("_fields"))

    @api(f"{API}/orders/<int:order_id>/refunds", methods=["POST"], name="refunds.create")
    def refunds_create(self, request: Request, order_id: int) -> Response:
        params, authenticated = self.begin(request, REFUND_ARGS)
        self.permit(authenticated, CANNOT_CREATE)
        events = Events()
        with self.lock:
            order = self._order_for_refunds(order_id)
            refund = create_refund(self.store, order, params, self.clock.now(), events)
            data = render.refund_json(order, refund, self.site_url)
            deliveries = self.collect(events)
        self.note(request, f"refund:create:{refund.id}")
        self.send(deliveries)
        location = f"{self.site_url}{API}/orders/{order_id}/refunds/{refund.id}"
        return self.respond(data, 201, headers=[("Location", location)])

    @api(f"{API}/orders/<int:order_id>/refunds/<int:refund_id>", methods=["GET"], name="refunds.get")
    def refunds_get(self, request: Request, order_id: int, refund_id: int) -> Response:
        params, authenticated = self.begin(request, VIEW_ARGS)
        with self.lock:
            order = self._order_for_refunds(order_id)
            refund = next((r for r in order.refunds if r.id == refund_id), None)
            if refund is None:
                raise WpError(
                    "woocommerce_rest_invalid_order_refund_id", "Invalid order refund ID.", 500, bare_data=404
                )
            self.permit(authenticated, CANNOT_VIEW)
            data = render.refund_json(order, refund, self.site_url)
        return self.respond(data, fields=params.get("_fields"))
