"""/products and /products/<id>/variations, including their batch endpoints.

As in WooCommerce, an unknown id answers 404 on GET and DELETE but 400 on update, and the
permission check only runs for ids that exist (so an anonymous GET of a missing product is a
404, not a 401). /products/<id> also serves a variation's id, product-shaped, as WooCommerce
does; /products lists parents only, unless filtered by `sku` or `search_sku`, when WooCommerce
includes variations too.
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
from .listing import (
    PRODUCT_LIST_ARGS,
    VARIATION_LIST_ARGS,
    paginate,
    paging_headers,
    product_filter,
    sort_key,
)
from .models import Product
from .params import PAGING, as_int, query_params
from .products import (
    DELETE_ARGS,
    PRODUCT_ARGS,
    VARIATION_ARGS,
    create_product,
    create_variation,
    delete_product,
    delete_variation,
    run_batch,
    update_product,
    update_variation,
    variable_parent,
)
from .wp import WpError

VIEW_ARGS = {"context": PAGING["context"], "_fields": PAGING["_fields"]}


def _product_missing(status: int) -> WpError:
    return WpError("woocommerce_rest_product_invalid_id", "Invalid ID.", status)


def _variation_missing(status: int) -> WpError:
    return WpError("woocommerce_rest_product_variation_invalid_id", "Invalid ID.", status)


def int_id(value: Any) -> int:
    return as_int(value)


class ProductRoutes(WooBase):
    def _price(self, product: Product) -> str:
        return self.store.variable_price(product) if product.type == "variable" else product.price

    def _list(
        self, request: Request, records: list[Product], params: dict[str, Any], variations: bool
    ) -> Response:
        keep = product_filter(params)
        matched = [p for p in records if keep(p, self._price(p))]
        page, total, pages = paginate(matched, params, sort_key(params, self._price))
        render_one = render.variation_json if variations else render.product_json
        data = [render_one(self.store, p, self.site_url) for p in page]
        headers = paging_headers(request, self.site_url, query_params(request), total, pages)
        return self.respond(data, headers=headers, fields=params.get("_fields"))

    def _variation(self, product_id: int, variation_id: int, status: int) -> Product:
        variation = self.store.products.get(variation_id)
        if variation is None or variation.type != "variation" or variation.parent_id != product_id:
            raise _variation_missing(status)
        return variation

    # -- products --------------------------------------------------------------------------------

    @api(f"{API}/products", methods=["GET"], name="products.list")
    def products_list(self, request: Request) -> Response:
        params, authenticated = self.begin(request, {**PAGING, **PRODUCT_LIST_ARGS})
        self.permit(authenticated, CANNOT_LIST)
        # WooCommerce widens the query to variations when it filters by SKU.
        widen = bool(params.get("sku") or params.get("search_sku"))
        with self.lock:
            records = [p for p in self.store.products.values() if widen or p.type != "variation"]
            return self._list(request, records, params, variations=False)

    @api(f"{API}/products", methods=["POST"], name="products.create")
    def products_create(self, request: Request) -> Response:
        params, authenticated = self.begin(request, PRODUCT_ARGS)
        self.permit(authenticated, CANNOT_CREATE)
        events = Events()
        with self.lock:
            product = create_product(self.store, params, self.clock.now(), events)
            data = render.product_json(self.store, product, self.site_url)
            deliveries = self.collect(events)
        self.note(request, f"product:create:{product.id}")
        self.send(deliveries)
        return self.respond(data, 201, headers=[("Location", f"{self.site_url}{API}/products/{product.id}")])

    @api(f"{API}/products/<int:product_id>", methods=["GET"], name="products.get")
    def products_get(self, request: Request, product_id: int) -> Response:
        params, authenticated = self.begin(request, VIEW_ARGS)
        with self.lock:
            product = self.store.products.get(product_id)
            if product is None:
                raise _product_missing(404)
            self.permit(authenticated, CANNOT_VIEW)
            data = render.product_json(self.store, product, self.site_url)
        return self.respond(data, fields=params.get("_fields"))

    @api(f"{API}/products/<int:product_id>", methods=EDITABLE, name="products.update")
    def products_update(self, request: Request, product_id: int) -> Response:
        params, authenticated = self.begin(request, PRODUCT_ARGS)
        events = Events()
        with self.lock:
            product = self.store.products.get(product_id)
            if product is None:
                raise _product_missing(400)
            self.permit(authenticated, CANNOT_EDIT)
            update_product(self.store, product, params, self.clock.now(), events)
            data = render.product_json(self.store, product, self.site_url)
            deliveries = self.collect(events)
        self.note(request, f"product:update:{product_id}")
        self.send(deliveries)
        return self.respond(data)

    @api(f"{API}/products/<int:product_id>", methods=["DELETE"], name="products.delete")
    def products_delete(self, request: Request, product_id: int) -> Response:
        params, authenticated = self.begin(request, DELETE_ARGS)
        events = Events()
        with self.lock:
            product = self.store.products.get(product_id)
            if product is None:
                raise _product_missing(404)
            self.permit(authenticated, CANNOT_DELETE)
            data = render.product_json(self.store, product, self.site_url)
            delete_product(self.store, product, bool(params.get("force")), events)
            deliveries = self.collect(events)
        self.note(request, f"product:delete:{product_id}")
        self.send(deliveries)
        return self.respond(data)

    @api(f"{API}/products/batch", methods=EDITABLE, name="products.batch")
    def products_batch(self, request: Request) -> Response:
        params, authenticated = self.begin(request)
        self.permit(authenticated, CANNOT_BATCH)
        events = Events()
        with self.lock:
            now, store, site = self.clock.now(), self.store, self.site_url

            def create(item: dict[str, Any]) -> dict[str, Any]:
                product = create_product(store, item, now, events)
                self.note(request, f"product:create:{product.id}")
                return render.product_json(store, product, site)

            def update(item: dict[str, Any]) -> dict[str, Any]:
                product = store.products.get(int_id(item.get("id")))
                if product is None:
                    raise _product_missing(400)
                update_product(store, product, item, now, events)
                self.note(request, f"product:update:{product.id}")
                return render.product_json(store, product, site)

            def delete(product_id: int) -> dict[str, Any]:
                product = store.products.get(product_id)
                if product is None:
                    raise _product_missing(404)
                data = render.product_json(store, product, site)
                delete_product(store, product, True, events)
                self.note(request, f"product:delete:{product_id}")
                return data

            result = run_batch(params, create=create, update=update, delete=delete)
            deliveries = self.collect(events)
        self.send(deliveries)
        return self.respond(result)

    # -- variations ------------------------------------------------------------------------------

    @api(f"{API}/products/<int:product_id>/variations", methods=["GET"], name="variations.list")
    def variations_list(self, request: Request, product_id: int) -> Response:
        params, authenticated = self.begin(request, {**PAGING, **VARIATION_LIST_ARGS})
        self.permit(authenticated, CANNOT_LIST)
        with self.lock:
            parent = self.store.products.get(product_id)
            ids = parent.variation_ids if parent is not None else []
            records = [self.store.products[v] for v in ids if v in self.store.products]
            return self._list(request, records, params, variations=True)

    @api(f"{API}/products/<int:product_id>/variations", methods=["POST"], name="variations.create")
    def variations_create(self, request: Request, product_id: int) -> Response:
        params, authenticated = self.begin(request, VARIATION_ARGS)
        self.permit(authenticated, CANNOT_CREATE)
        events = Events()
        with self.lock:
            parent = variable_parent(self.store, product_id)
            variation = create_variation(self.store, parent, params, self.clock.now(), events)
            data = render.variation_json(self.store, variation, self.site_url)
            deliveries = self.collect(events)
        self.note(request, f"variation:create:{variation.id}")
        self.send(deliveries)
        location = f"{self.site_url}{API}/products/{product_id}/variations/{variation.id}"
        return self.respond(data, 201, headers=[("Location", location)])

    @api(
        f"{API}/products/<int:product_id>/variations/<int:variation_id>",
        methods=["GET"],
        name="variations.get",
    )
    def variations_get(self, request: Request, product_id: int, variation_id: int) -> Response:
        params, authenticated = self.begin(request, VIEW_ARGS)
        with self.lock:
            variation = self._variation(product_id, variation_id, 404)
            self.permit(authenticated, CANNOT_VIEW)
            data = render.variation_json(self.store, variation, self.site_url)
        return self.respond(data, fields=params.get("_fields"))

    @api(
        f"{API}/products/<int:product_id>/variations/<int:variation_id>",
        methods=EDITABLE,
        name="variations.update",
    )
    def variations_update(self, request: Request, product_id: int, variation_id: int) -> Response:
        params, authenticated = self.begin(request, VARIATION_ARGS)
        events = Events()
        with self.lock:
            variation = self._variation(product_id, variation_id, 400)
            self.permit(authenticated, CANNOT_EDIT)
            update_variation(self.store, variation, params, self.clock.now(), events)
            data = render.variation_json(self.store, variation, self.site_url)
            deliveries = self.collect(events)
        self.note(request, f"variation:update:{variation_id}")
        self.send(deliveries)
        return self.respond(data)

    @api(
        f"{API}/products/<int:product_id>/variations/<int:variation_id>",
        methods=["DELETE"],
        name="variations.delete",
    )
    def variations_delete(self, request: Request, product_id: int, variation_id: int) -> Response:
        params, authenticated = self.begin(request, DELETE_ARGS)
        events = Events()
        with self.lock:
            variation = self._variation(product_id, variation_id, 404)
            self.permit(authenticated, CANNOT_DELETE)
            data = render.variation_json(self.store, variation, self.site_url)
            delete_variation(self.store, variation, bool(params.get("force")), self.clock.now(), events)
            deliveries = self.collect(events)
        self.note(request, f"variation:delete:{variation_id}")
        self.send(deliveries)
        return self.respond(data)

    @api(f"{API}/products/<int:product_id>/variations/batch", methods=EDITABLE, name="variations.batch")
    def variations_batch(self, request: Request, product_id: int) -> Response:
        params, authenticated = self.begin(request)
        self.permit(authenticated, CANNOT_BATCH)
        events = Events()
        with self.lock:
            now, store, site = self.clock.now(), self.store, self.site_url

            def create(item: dict[str, Any]) -> dict[str, Any]:
                variation = create_variation(store, variable_parent(store, product_id), item, now, events)
                self.note(request, f"variation:create:{variation.id}")
                return render.variation_json(store, variation, site)

            def update(item: dict[str, Any]) -> dict[str, Any]:
                variation = self._variation(product_id, int_id(item.get("id")), 400)
                update_variation(store, variation, item, now, events)
                self.note(request, f"variation:update:{variation.id}")
                return render.variation_json(store, variation, site)

            def delete(variation_id: int) -> dict[str, Any]:
                variation = self._variation(product_id, variation_id, 404)
                data = render.variation_json(store, variation, site)
                delete_variation(store, variation, True, now, events)
                self.note(request, f"variation:delete:{variation_id}")
                return data

            result = run_batch(params, create=create, update=update, delete=delete)
            deliveries = self.collect(events)
        self.send(deliveries)
        return self.respond(result)
