"""GET /wp-json/: the WordPress REST API index (WP_REST_Server::get_index).

It is public: WordPress answers it without authentication, and WooCommerce's key check only looks
at requests under a `wc/` namespace, so a client reads the site's name here without credentials.
The index lists the namespaces and routes the site serves; the sandbox lists the wc/v3 routes it
really has, in WordPress's regex syntax, with their methods.

Deviation: a real index also describes every route's arguments and the other plugins'
namespaces; the sandbox lists WordPress core's and WooCommerce's namespaces and no arguments.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.wrappers import Request, Response

from channels.sandbox.kit import api

from .base import API, WooBase
from .wp import wp_response

NAMESPACES = ["oembed/1.0", "wc/v1", "wc/v2", "wc/v3", "wc/store/v1", "wp/v2", "wp-site-health/v1"]
_INT_ARG = re.compile(r"<int:(\w+)>")


class IndexRoutes(WooBase):
    site_name: str

    def _wc_routes(self) -> dict[str, Any]:
        routes: dict[str, Any] = {"/wc/v3": {"namespace": "wc/v3", "methods": ["GET"]}}
        for rule in sorted(self.url_map.iter_rules(), key=lambda r: r.rule):
            if not rule.rule.startswith(API + "/"):
                continue
            route = _INT_ARG.sub(r"(?P<\1>[\\d]+)", rule.rule[len("/wp-json") :])
            methods = sorted(m for m in rule.methods or () if m not in ("HEAD", "OPTIONS"))
            entry = routes.setdefault(route, {"namespace": "wc/v3", "methods": []})
            entry["methods"] = sorted({*entry["methods"], *methods})
        return routes

    @api("/wp-json/", methods=["GET"], name="wp.index")
    def wp_index(self, request: Request) -> Response:
        self.site_url = request.host_url.rstrip("/")
        site = self.site_url
        data = {
            "name": self.site_name,
            "description": "",
            "url": site,
            "home": site,
            "gmt_offset": "0",
            "timezone_string": "UTC",
            "page_for_posts": 0,
            "page_on_front": 0,
            "show_on_front": "posts",
            "namespaces": NAMESPACES,
            "authentication": {
                "application-passwords": {
                    "endpoints": {"authorization": f"{site}/wp-admin/authorize-application.php"}
                }
            },
            "routes": self._wc_routes(),
            "site_logo": 0,
            "site_icon": 0,
            "site_icon_url": "",
            "_links": {"help": [{"href": "https://developer.wordpress.org/rest-api/"}]},
        }
        return wp_response(data, headers=[("Link", f'<{site}/wp-json/>; rel="https://api.w.org/"')])
