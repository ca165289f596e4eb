"""/webhooks (WC_REST_Webhooks_Controller). The secret is shown only in the create and update
answers (edit context). An unknown id answers 400 "ID is invalid." on GET and update, 404 on
DELETE, and deleting without force=true is refused with 501, as in WooCommerce.
"""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from channels.sandbox.kit import api

from . import render
from .base import API, CANNOT_CREATE, CANNOT_DELETE, CANNOT_EDIT, CANNOT_LIST, CANNOT_VIEW, EDITABLE, WooBase
from .listing import paginate, paging_headers
from .models import Webhook
from .params import PAGING, Arg, query_params
from .products import DELETE_ARGS
from .routes_products import VIEW_ARGS
from .webhooks import CREATE_ARGS, STATUSES, WEBHOOK_ARGS, create_webhook, send_ping, update_webhook
from .wp import WpError

LIST_ARGS = {
    **PAGING,
    "status": Arg("string", enum=("all", *STATUSES), default="all"),
    "orderby": Arg("string", enum=("date", "id", "title"), default="date"),
}


class WebhookRoutes(WooBase):
    def _webhook(self, webhook_id: int, status: int, message: str = "ID is invalid.") -> Webhook:
        webhook = self.store.webhooks.get(webhook_id)
        if webhook is None:
            raise WpError("woocommerce_rest_shop_webhook_invalid_id", message, status)
        return webhook

    @api(f"{API}/webhooks", methods=["GET"], name="webhooks.list")
    def webhooks_list(self, request: Request) -> Response:
        params, authenticated = self.begin(request, LIST_ARGS)
        self.permit(authenticated, CANNOT_LIST)
        with self.lock:
            hooks = [w for w in self.store.webhooks.values() if params["status"] in ("all", w.status)]
            if params.get("search"):
                hooks = [w for w in hooks if str(params["search"]).casefold() in w.name.casefold()]
            keys = {"id": lambda w: w.id, "title": lambda w: (w.name.casefold(), w.id)}
            page, total, pages = paginate(
                hooks, params, keys.get(params["orderby"], lambda w: (w.date_created, w.id))
            )
            data = [render.webhook_json(w, self.site_url) for w in page]
        headers = paging_headers(request, self.site_url, query_params(request), total, pages)
        return self.respond(data, headers=headers, fields=params.get("_fields"))

    @api(f"{API}/webhooks", methods=["POST"], name="webhooks.create")
    def webhooks_create(self, request: Request) -> Response:
        params, authenticated = self.begin(request, CREATE_ARGS)
        self.permit(authenticated, CANNOT_CREATE)
        with self.lock:
            webhook = create_webhook(self.store, params, self.clock.now())
            data = render.webhook_json(webhook, self.site_url, edit=True)
        self.note(request, f"webhook:create:{webhook.id}")
        send_ping(webhook.id, webhook.delivery_url)
        return self.respond(data, 201, headers=[("Location", f"{self.site_url}{API}/webhooks/{webhook.id}")])

    @api(f"{API}/webhooks/<int:webhook_id>", methods=["GET"], name="webhooks.get")
    def webhooks_get(self, request: Request, webhook_id: int) -> Response:
        params, authenticated = self.begin(request, VIEW_ARGS)
        self.permit(authenticated, CANNOT_VIEW)
        with self.lock:
            data = render.webhook_json(self._webhook(webhook_id, 400), self.site_url)
        return self.respond(data, fields=params.get("_fields"))

    @api(f"{API}/webhooks/<int:webhook_id>", methods=EDITABLE, name="webhooks.update")
    def webhooks_update(self, request: Request, webhook_id: int) -> Response:
        params, authenticated = self.begin(request, WEBHOOK_ARGS)
        self.permit(authenticated, CANNOT_EDIT)
        with self.lock:
            webhook = self._webhook(webhook_id, 400)
            update_webhook(webhook, params, self.clock.now())
            data = render.webhook_json(webhook, self.site_url, edit=True)
        self.note(request, f"webhook:update:{webhook_id}")
        return self.respond(data)

    @api(f"{API}/webhooks/<int:webhook_id>", methods=["DELETE"], name="webhooks.delete")
    def webhooks_delete(self, request: Request, webhook_id: int) -> Response:
        params, authenticated = self.begin(request, DELETE_ARGS)
        self.permit(authenticated, CANNOT_DELETE)
        if not params.get("force"):
            raise WpError("woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.", 501)
        with self.lock:
            webhook = self._webhook(webhook_id, 404, "Invalid ID.")
            data = render.webhook_json(webhook, self.site_url, edit=True)
            del self.store.webhooks[webhook_id]
        self.note(request, f"webhook:delete:{webhook_id}")
        return self.respond(data)
