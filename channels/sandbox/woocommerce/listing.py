"""Collection queries: filters, WP_Query-style ordering, paging and the X-WP-Total /
X-WP-TotalPages / Link headers (WC_REST_CRUD_Controller::get_items).

Date filters are exclusive, as WP_Date_Query's `after`/`before` are, and compare whole seconds.
Ordering by date or modified breaks ties on the id in the same direction ("date ID"), so the
seeded catalogue, created in one instant, pages newest id first.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from werkzeug.wrappers import Request

from .models import ORDER_STATUSES, Order, Product
from .params import Arg, parse_wp_date
from .store import sku_key

T = TypeVar("T")

PRODUCT_STATUSES = ("draft", "pending", "private", "publish", "future")
PRODUCT_LIST_ARGS = {
    "orderby": Arg(
        "string",
        enum=(
            "date",
            "id",
            "include",
            "title",
            "slug",
            "modified",
            "price",
            "popularity",
            "rating",
            "menu_order",
        ),
        default="date",
    ),
    "status": Arg(
        "string", enum=("any", "future", "trash", "draft", "pending", "private", "publish"), default="any"
    ),
    "type": Arg("string", enum=("simple", "grouped", "external", "variable")),
    "sku": Arg("string"),
    "search_sku": Arg("string"),
    "global_unique_id": Arg("string"),
    "stock_quantity": Arg("integer"),
    "min_stock_quantity": Arg("integer"),
    "max_stock_quantity": Arg("integer"),
    "virtual": Arg("boolean"),
    "downloadable": Arg("boolean"),
    "slug": Arg("string"),
    "parent": Arg("array", items=Arg("integer")),
    "featured": Arg("boolean"),
    "on_sale": Arg("boolean"),
    "stock_status": Arg("string", enum=("instock", "outofstock", "onbackorder")),
    "min_price": Arg("string"),
    "max_price": Arg("string"),
}
VARIATION_LIST_ARGS = {
    **PRODUCT_LIST_ARGS,
    "orderby": Arg(
        "string", enum=("date", "id", "include", "title", "slug", "modified", "menu_order"), default="date"
    ),
}
ORDER_LIST_ARGS = {
    "orderby": Arg("string", enum=("date", "id", "include", "title", "slug", "modified"), default="date"),
    "status": Arg(
        "array",
        items=Arg("string", enum=("any", "trash", "auto-draft", *ORDER_STATUSES)),
        default=["any"],
    ),
    "customer": Arg("integer"),
    "product": Arg("integer"),
    "dp": Arg("integer"),
}


Check = Callable[[Any, str], bool]  # (record, price) -> keep?


def _trim(when: datetime) -> datetime:
    return when.replace(microsecond=0)


def _date_checks(params: dict[str, Any]) -> list[Check]:
    """after/before on the creation date, modified_after/modified_before on the last save."""
    checks: list[Check] = []
    for name, attribute, later in (
        ("after", "date_created", True),
        ("before", "date_created", False),
        ("modified_after", "date_modified", True),
        ("modified_before", "date_modified", False),
    ):
        value = params.get(name)
        bound = parse_wp_date(value) if isinstance(value, str) else None
        if bound is None:
            continue
        checks.append(_date_check(attribute, _trim(bound), later))
    return checks


def _date_check(attribute: str, edge: datetime, later: bool) -> Check:
    if later:
        return lambda r, _: _trim(getattr(r, attribute)) > edge
    return lambda r, _: _trim(getattr(r, attribute)) < edge


def _id_checks(params: dict[str, Any], parents: bool = False) -> list[Check]:
    checks: list[Check] = []
    include, exclude = _ids(params, "include"), _ids(params, "exclude")
    if include:
        checks.append(lambda r, _: r.id in include)
    if exclude:
        checks.append(lambda r, _: r.id not in exclude)
    parent_ids = _ids(params, "parent") if parents else set()
    if parent_ids:
        checks.append(lambda r, _: r.parent_id in parent_ids)
    return checks


def _ids(params: dict[str, Any], key: str) -> set[int]:
    return {int(i) for i in params.get(key) or [] if int(i) > 0}


def _searchable(product: Product) -> str:
    return f"{product.name}\n{product.short_description}\n{product.description}".casefold()


def _matches_search(text: str, search: str) -> bool:
    for term in search.casefold().split():
        if term.startswith("-") and len(term) > 1:
            if term[1:] in text:
                return False
        elif term not in text:
            return False
    return True


def _stock(product: Product) -> int | None:
    return int(product.stock_quantity or 0) if product.manage_stock else None


def _price_at_least(price: str, bound: Any) -> bool:
    return bool(price) and float(price) >= float(bound or 0)


def _price_at_most(price: str, bound: Any) -> bool:
    return bool(price) and float(price) <= float(bound or 0)


def _list_of(value: Any) -> set[str]:
    return {part.strip() for part in str(value).split(",")}


def _sku_check(value: Any) -> Check:
    keys = {sku_key(s) for s in _list_of(value)}
    return lambda p, _: sku_key(p.sku) in keys


def _gtin_check(value: Any) -> Check:
    ids = _list_of(value)
    return lambda p, _: p.global_unique_id in ids


def _product_checks(params: dict[str, Any]) -> list[Check]:
    """One predicate per filter actually sent, built once per request."""
    factories: dict[str, Callable[[Any], Check]] = {
        "type": lambda v: lambda p, _: p.type == v,
        "sku": _sku_check,
        "search_sku": lambda v: lambda p, _: str(v).casefold() in p.sku.casefold(),
        "global_unique_id": _gtin_check,
        "stock_quantity": lambda v: lambda p, _: _stock(p) == v,
        "min_stock_quantity": lambda v: lambda p, _: (_stock(p) is not None) and int(_stock(p) or 0) >= v,
        "max_stock_quantity": lambda v: lambda p, _: (_stock(p) is not None) and int(_stock(p) or 0) <= v,
        "virtual": lambda v: lambda p, _: p.virtual == v,
        "downloadable": lambda v: lambda p, _: p.downloadable == v,
        "slug": lambda v: lambda p, _: p.slug == v,
        "featured": lambda v: lambda p, _: p.featured == v,
        "on_sale": lambda v: lambda p, _: bool(p.sale_price) == v,
        "stock_status": lambda v: lambda p, _: p.stock_status == v,
        "min_price": lambda v: lambda _, price: _price_at_least(price, v),
        "max_price": lambda v: lambda _, price: _price_at_most(price, v),
        "search": lambda v: lambda p, _: _matches_search(_searchable(p), v),
    }
    status = params.get("status", "any")
    checks: list[Check] = [
        (lambda p, _: p.status != "trash") if status == "any" else (lambda p, _: p.status == status)
    ]
    for key, factory in factories.items():
        value = params.get(key)
        if value is not None and value != "":
            checks.append(factory(value))
    return checks + _id_checks(params, parents=True) + _date_checks(params)


def product_filter(params: dict[str, Any]) -> Check:
    checks = _product_checks(params)
    return lambda product, price: all(check(product, price) for check in checks)


def order_filter(params: dict[str, Any]) -> Callable[[Order], bool]:
    statuses = {str(s) for s in params.get("status") or ["any"]}
    hidden = ("trash", "checkout-draft", "auto-draft")
    checks: list[Check] = [
        (lambda o, _: o.status not in hidden) if "any" in statuses else (lambda o, _: o.status in statuses)
    ]
    customer, product, search = params.get("customer"), params.get("product"), params.get("search")
    if customer is not None:
        checks.append(lambda o, _: o.customer_id == customer)
    if product:
        checks.append(lambda o, _: any(item.product_id == product for item in o.line_items))
    if search:
        checks.append(lambda o, _: _matches_search(_order_text(o), search))
    checks += _id_checks(params) + _date_checks(params)
    return lambda order: all(check(order, "") for check in checks)


def _order_text(order: Order) -> str:
    parts = [str(order.id), *map(str, order.billing.values()), *(item.name for item in order.line_items)]
    return "\n".join(parts).casefold()


def sort_key(params: dict[str, Any], price_of: Callable[[Any], str]) -> Callable[[Any], Any]:
    orderby = params.get("orderby", "date")
    include = [int(i) for i in params.get("include") or []]
    position = {value: index for index, value in enumerate(include)}
    keys: dict[str, Callable[[Any], Any]] = {
        "id": lambda r: r.id,
        "include": lambda r: (position.get(r.id, len(position)), r.id),
        "title": lambda r: (getattr(r, "name", str(r.id)).casefold(), r.id),
        "slug": lambda r: (getattr(r, "slug", str(r.id)), r.id),
        "modified": lambda r: (_trim(r.date_modified), r.id),
        "price": lambda r: (float(price_of(r) or 0), r.id),
        "popularity": lambda r: (getattr(r, "total_sales", 0), r.id),
        "menu_order": lambda r: (getattr(r, "menu_order", 0), getattr(r, "name", "").casefold(), r.id),
    }
    return keys.get(orderby, lambda r: (_trim(r.date_created), r.id))


def paginate(
    records: Iterable[T], params: dict[str, Any], key: Callable[[T], Any]
) -> tuple[list[T], int, int]:
    """Sort, then cut one page; returns (page, total, total_pages)."""
    ordered = sorted(records, key=key, reverse=params.get("order", "desc") == "desc")
    per_page = int(params.get("per_page") or 10)
    offset = params.get("offset")
    start = abs(int(offset)) if offset is not None else (int(params.get("page") or 1) - 1) * per_page
    total = len(ordered)
    return ordered[start : start + per_page], total, math.ceil(total / per_page)


def paging_headers(
    request: Request, site: str, query: dict[str, Any], total: int, pages: int
) -> list[tuple[str, str]]:
    page = int(query.get("page") or 1) if str(query.get("page") or "1").isdigit() else 1
    headers = [("X-WP-Total", str(total)), ("X-WP-TotalPages", str(pages))]

    def link(to: int) -> str:
        params: list[tuple[str, str]] = []
        for name, value in query.items():
            if name == "page":
                continue
            if isinstance(value, list):
                params.extend((f"{name}[]", str(v)) for v in value)
            else:
                params.append((name, str(value)))
        params.append(("page", str(to)))
        return f"{site}{request.path}?{urlencode(params)}"

    if page > 1:
        headers.append(("Link", f'<{link(min(page - 1, max(pages, 1)))}>; rel="prev"'))
    if pages > page:
        headers.append(("Link", f'<{link(page + 1)}>; rel="next"'))
    return headers
