"""WordPress REST plumbing the WooCommerce emulator answers with: PHP-style JSON, WP_Error bodies,
response headers and dates.

WordPress encodes with `wp_json_encode`, which escapes "/" as "\\/" and non-ASCII as \\uXXXX; the
emulator does the same so a client that re-serialises a body before checking a signature fails
here exactly as it would against a real shop.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Response

from channels.sandbox.kit import ApiError

WC_VERSION = "9.9.5"
WP_VERSION = "6.8.2"


def php_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=True, separators=(",", ":"), default=str).replace("/", "\\/")


class WpError(ApiError):
    """A WP_Error on its way out: `{"code", "message", "data": {"status", ...}}`. The kit answers
    with `.response` wherever it is raised."""

    def __init__(
        self, code: str, message: str, status: int = 400, *, bare_data: Any = None, **data: Any
    ) -> None:
        self.code = code
        self.message = message
        self.status = status
        self.data = data
        # Some WooCommerce errors pass a bare number as WP_Error data (`new WP_Error(code, msg, 404)`);
        # WordPress then finds no status in it and answers 500 with `"data": 404`.
        self.bare_data = bare_data
        super().__init__(wp_response(self.body(), status=status))

    def body(self) -> dict[str, Any]:
        data: Any = self.bare_data if self.bare_data is not None else {"status": self.status, **self.data}
        return {"code": self.code, "message": self.message, "data": data}


def wp_response(data: Any, status: int = 200, headers: dict[str, str] | list | None = None) -> Response:
    response = Response(php_json(data), status=status, content_type="application/json; charset=UTF-8")
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Access-Control-Expose-Headers"] = "X-WP-Total, X-WP-TotalPages, Link"
    if headers:
        items = headers.items() if isinstance(headers, dict) else headers
        for name, value in items:
            response.headers.add(name, value)
    return response


def wp_date(when: datetime | None) -> str | None:
    """wc_rest_prepare_date_response: no timezone suffix. The sandbox site runs on UTC, so the
    local and the _gmt variants are the same string."""
    if when is None:
        return None
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def money(value: float) -> str:
    return f"{value:.2f}"


def wp_list(items: list[str]) -> str:
    """wp_sprintf's %l: "a", "a and b", "a, b, and c"."""
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return f"{items[0]} and {items[1]}"
    return ", ".join(items[:-1]) + ", and " + items[-1]
