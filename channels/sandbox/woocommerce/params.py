"""Request parameters the way WordPress reads and validates them.

PHP reads a query string with "last duplicate wins" and `key[]` lists; WP_REST_Request merges
JSON body, form body and query (in that priority) and validates every declared argument against
its schema before the permission check runs, answering `rest_missing_callback_param` or
`rest_invalid_param` with per-parameter messages (rest_validate_value_from_schema). Parameters a
route does not declare pass through untouched and are ignored by the handlers, as in WordPress.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from werkzeug.wrappers import Request

from .wp import WpError, wp_list

_DATE_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)
_NUMERIC_RE = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")


@dataclass(frozen=True)
class Arg:
    type: str  # integer, number, string, boolean, array, object, date-time, mixed
    enum: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    items: Arg | None = None
    default: Any = None
    required: bool = False


class InvalidParam(Exception):
    def __init__(self, param: str, code: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.code = code
        self.message = message


# -- reading -----------------------------------------------------------------------------------


def query_params(request: Request) -> dict[str, Any]:
    """$_GET: the last duplicate wins (the woocommerce client repeats every parameter), and
    `key[]=a&key[]=b` becomes a list."""
    params: dict[str, Any] = {}
    for key, value in request.args.items(multi=True):
        if key.endswith("[]"):
            base = key[:-2]
            current = params.get(base)
            params[base] = [*current, value] if isinstance(current, list) else [value]
        else:
            params[key] = value
    return params


def body_params(request: Request) -> dict[str, Any]:
    """JSON bodies when the content type says JSON (else WordPress never parses them), form bodies
    otherwise. Malformed JSON is rest_invalid_json, checked before anything else on the route."""
    content_type = (request.content_type or "").lower()
    if "json" in content_type:
        raw = request.get_data(cache=True)
        if not raw.strip():
            return {}
        try:
            decoded = json.loads(raw)
        except ValueError as exc:
            raise WpError(
                "rest_invalid_json",
                "Invalid JSON body passed.",
                400,
                json_error_code=4,
                json_error_message="Syntax error",
            ) from exc
        return decoded if isinstance(decoded, dict) else {}
    if "x-www-form-urlencoded" in content_type or "multipart/form-data" in content_type:
        return dict(request.form.items())
    return {}


def merged_params(request: Request) -> dict[str, Any]:
    return {**query_params(request), **body_params(request)}


def as_int(value: Any, default: int = 0) -> int:
    """PHP's (int) cast for values no schema checked: junk becomes the default."""
    try:
        return int(float(value))
    except (TypeError, ValueError, OverflowError):
        return default


# -- validating --------------------------------------------------------------------------------


def validate(params: dict[str, Any], args: dict[str, Arg]) -> dict[str, Any]:
    """Coerce the declared arguments in place of their raw values and fill defaults.

    Raises the WP_Error WordPress would send. Keys that are absent or null are not validated
    (WP_REST_Request::has_valid_params skips null), so handlers see them as "not sent".
    """
    missing = [name for name, arg in args.items() if arg.required and params.get(name) is None]
    if missing:
        raise WpError(
            "rest_missing_callback_param", f"Missing parameter(s): {', '.join(missing)}", 400, params=missing
        )
    clean = dict(params)
    invalid: dict[str, str] = {}
    details: dict[str, Any] = {}
    for name, arg in args.items():
        value = params.get(name)
        if value is None:
            if arg.default is not None:
                clean[name] = arg.default
            continue
        try:
            clean[name] = coerce(name, value, arg)
        except InvalidParam as exc:
            invalid[name] = exc.message
            details[name] = {"code": exc.code, "message": exc.message, "data": None}
    if invalid:
        raise WpError(
            "rest_invalid_param",
            f"Invalid parameter(s): {', '.join(invalid)}",
            400,
            params=invalid,
            details=details,
        )
    return clean


def coerce(name: str, value: Any, arg: Arg) -> Any:
    kind = arg.type
    if kind == "mixed":
        return value
    if kind == "integer":
        result: Any = _integer(name, value)
    elif kind == "number":
        if isinstance(value, bool) or not _is_numeric(value):
            raise InvalidParam(name, "rest_invalid_type", f"{name} is not of type number.")
        result = float(value)
    elif kind == "boolean":
        result = _boolean(name, value)
    elif kind in ("string", "date-time"):
        if not isinstance(value, str):
            raise InvalidParam(name, "rest_invalid_type", f"{name} is not of type string.")
        if kind == "date-time" and parse_wp_date(value) is None:
            raise InvalidParam(name, "rest_invalid_date", "Invalid date.")
        result = value
    elif kind == "array":
        result = _array(name, value, arg)
    elif kind == "object":
        if not isinstance(value, dict | list) and value != "":
            raise InvalidParam(name, "rest_invalid_type", f"{name} is not of type object.")
        result = value if value != "" else {}
    else:
        result = value
    if arg.enum and result not in arg.enum:
        raise InvalidParam(name, "rest_not_in_enum", f"{name} is not one of {wp_list(list(arg.enum))}.")
    if kind == "integer":
        _bounds(name, result, arg)
    return result


def _is_numeric(value: Any) -> bool:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return True
    return isinstance(value, str) and bool(_NUMERIC_RE.match(value))


def _integer(name: str, value: Any) -> int:
    if isinstance(value, bool) or not _is_numeric(value):
        raise InvalidParam(name, "rest_invalid_type", f"{name} is not of type integer.")
    number = float(value)
    if number != round(number) or abs(number) > 2**62:
        raise InvalidParam(name, "rest_invalid_type", f"{name} is not of type integer.")
    return int(number)


def _boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    raise InvalidParam(name, "rest_invalid_type", f"{name} is not of type boolean.")


def _array(name: str, value: Any, arg: Arg) -> list[Any]:
    if isinstance(value, str):
        items: list[Any] = [part for part in re.split(r"[\s,]+", value) if part]
    elif isinstance(value, list):
        items = value
    elif isinstance(value, dict) and all(str(k).isdigit() for k in value):
        items = list(value.values())
    else:
        raise InvalidParam(name, "rest_invalid_type", f"{name} is not of type array.")
    if arg.items is None:
        return items
    return [coerce(f"{name}[{index}]", item, arg.items) for index, item in enumerate(items)]


def _bounds(name: str, value: int, arg: Arg) -> None:
    low, high = arg.minimum, arg.maximum
    if low is not None and high is not None and not low <= value <= high:
        message = f"{name} must be between {low} (inclusive) and {high} (inclusive)"
        raise InvalidParam(name, "rest_out_of_bounds", message)
    if low is not None and high is None and value < low:
        raise InvalidParam(name, "rest_out_of_bounds", f"{name} must be greater than or equal to {low}")
    if high is not None and low is None and value > high:
        raise InvalidParam(name, "rest_out_of_bounds", f"{name} must be less than or equal to {high}")


def parse_wp_date(value: str) -> datetime | None:
    """rest_parse_date. A date without an offset is in the site's timezone, which is UTC here."""
    match = _DATE_RE.match(value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, offset = match.group(7), match.group(8)
    tz: timezone = UTC
    if offset and offset.upper() != "Z":
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        tz = timezone(sign * delta)
    try:
        when = datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError:
        return None
    if fraction:
        when += timedelta(seconds=float(fraction))
    return when.astimezone(UTC)


# -- shared argument sets ----------------------------------------------------------------------

PAGING = {
    "page": Arg("integer", minimum=1, default=1),
    "per_page": Arg("integer", minimum=1, maximum=100, default=10),
    "offset": Arg("integer"),
    "order": Arg("string", enum=("asc", "desc"), default="desc"),
    "search": Arg("string"),
    "include": Arg("array", items=Arg("integer")),
    "exclude": Arg("array", items=Arg("integer")),
    "after": Arg("date-time"),
    "before": Arg("date-time"),
    "modified_after": Arg("date-time"),
    "modified_before": Arg("date-time"),
    "dates_are_gmt": Arg("boolean"),
    "context": Arg("string", enum=("view", "edit")),
    "_fields": Arg("mixed"),
}
