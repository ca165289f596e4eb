"""Orders, their stock effects and refunds, after WC_REST_Orders_Controller, wc-stock-functions.php
and wc_create_refund().

Stock leaves the shelf once, when an order reaches processing, on-hold or completed
(wc_maybe_reduce_stock_levels, remembered per line as `_reduced_stock`), and comes back when it
is cancelled or set back to pending (wc_maybe_increase_stock_levels). Setting an order to
"refunded" records a full refund without restocking (wc_order_fully_refunded); only a refund
with api_restock puts units back, and only as many as the line took.

Deviation: the wc/v3 orders endpoint does not check stock; the sandbox refuses an order whose
managed, no-backorder product lacks the quantity, with the Store API's checkout errors
(woocommerce_rest_product_out_of_stock / _partially_out_of_stock), so a simulated shopper cannot
buy what the shop shows as 0. Unknown products or SKUs in line items give a line with
product_id 0 and no stock effect, as WooCommerce does.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime
from typing import Any

from .events import Events
from .models import ORDER_STATUSES, REDUCING_STATUSES, RESTORING_STATUSES, LineItem, Order, Product, Refund
from .params import Arg, InvalidParam, as_int, coerce, validate
from .products import set_stock
from .store import Store, new_order_key
from .wp import WpError

ORDER_ARGS = {
    "parent_id": Arg("integer"),
    "status": Arg("string", enum=("auto-draft", *ORDER_STATUSES)),
    "currency": Arg("string"),
    "customer_id": Arg("integer"),
    "customer_note": Arg("string"),
    "billing": Arg("object"),
    "shipping": Arg("object"),
    "payment_method": Arg("string"),
    "payment_method_title": Arg("string"),
    "transaction_id": Arg("string"),
    "meta_data": Arg("array", items=Arg("object")),
    "line_items": Arg("array", items=Arg("object")),
    "shipping_lines": Arg("array", items=Arg("object")),
    "fee_lines": Arg("array", items=Arg("object")),
    "coupon_lines": Arg("array", items=Arg("object")),
    "set_paid": Arg("boolean", default=False),
}
LINE_ITEM_FIELDS = {
    "id": Arg("integer"),
    "product_id": Arg("mixed"),
    "variation_id": Arg("integer"),
    "quantity": Arg("integer"),
    "name": Arg("mixed"),
    "sku": Arg("string"),
    "subtotal": Arg("string"),
    "total": Arg("string"),
}
REFUND_ARGS = {
    "amount": Arg("string"),
    "reason": Arg("string"),
    "refunded_by": Arg("integer"),
    "meta_data": Arg("array", items=Arg("object")),
    "line_items": Arg("array", items=Arg("object")),
    "api_refund": Arg("boolean", default=True),
    "api_restock": Arg("boolean", default=True),
}
# Payment gateways the sandbox shop has, and whether each can refund through its API.
GATEWAYS = {"sandbox": True, "bacs": False, "cheque": False, "cod": False}


def _refund_error(message: str) -> WpError:
    return WpError("woocommerce_rest_cannot_create_order_refund", message, 500, bare_data=500)


def _check_line_fields(lines: list[Any]) -> None:
    invalid: dict[str, str] = {}
    details: dict[str, Any] = {}
    for index, raw in enumerate(lines):
        if not isinstance(raw, dict):
            continue
        for key, arg in LINE_ITEM_FIELDS.items():
            if raw.get(key) is None:
                continue
            try:
                raw[key] = coerce(f"line_items[{index}][{key}]", raw[key], arg)
            except InvalidParam as exc:
                invalid.setdefault("line_items", exc.message)
                details.setdefault("line_items", {"code": exc.code, "message": exc.message, "data": None})
    if invalid:
        raise WpError(
            "rest_invalid_param", "Invalid parameter(s): line_items", 400, params=invalid, details=details
        )


# -- line items ----------------------------------------------------------------------------------


def _posted_product(store: Store, raw: dict[str, Any]) -> Product | None:
    if raw.get("sku"):
        return store.product_by_sku(str(raw["sku"]))
    if raw.get("variation_id"):
        return store.products.get(int(raw["variation_id"]))
    if raw.get("product_id"):
        try:
            return store.products.get(int(raw["product_id"]))
        except (TypeError, ValueError):
            return None
    raise WpError("woocommerce_rest_required_product_reference", "Product ID or SKU is required.", 400)


def _new_line(store: Store, raw: dict[str, Any]) -> LineItem:
    product = _posted_product(store, raw)
    quantity = int(raw.get("quantity", 1))
    if product is None or product.status == "trash":
        line = LineItem(store.new_item_id(), str(raw.get("name") or ""), 0, 0, quantity, 0.0, 0.0)
    else:
        parent = store.parent_of(product) if product.type == "variation" else None
        price = float(product.price or store.variable_price(product) or 0)
        line = LineItem(
            id=store.new_item_id(),
            name=product.name,
            product_id=parent.id if parent is not None else product.id,
            variation_id=product.id if parent is not None else 0,
            quantity=quantity,
            subtotal=round(price * quantity, 2),
            total=round(price * quantity, 2),
            sku=product.sku,
            parent_name=parent.name if parent is not None else None,
        )
    if raw.get("name"):
        line.name = str(raw["name"])
    if raw.get("subtotal") not in (None, ""):
        line.subtotal = _amount(raw["subtotal"])
    if raw.get("total") not in (None, ""):
        line.total = _amount(raw["total"])
    return line


def _amount(value: Any) -> float:
    try:
        return round(float(value), 2)
    except (TypeError, ValueError):
        return 0.0


def _line_product(store: Store, line: LineItem) -> Product | None:
    return store.products.get(line.variation_id or line.product_id)


def _apply_lines(store: Store, order: Order, posted: list[Any], now: datetime, events: Events) -> None:
    for raw in (r for r in posted if isinstance(r, dict)):
        existing = next((line for line in order.line_items if line.id == raw.get("id")), None)
        if raw.get("id") and existing is None:
            raise WpError(
                "woocommerce_rest_invalid_item_id",
                "Order item ID provided is not associated with order.",
                400,
            )
        removing = raw.get("quantity") == 0 or ("product_id" in raw and raw["product_id"] is None)
        if existing is not None and removing:
            order.line_items.remove(existing)
        elif existing is not None:
            _update_line(store, order, existing, raw, now=now, events=events)
        elif not removing:
            order.line_items.append(_new_line(store, raw))


def _update_line(
    store: Store, order: Order, line: LineItem, raw: dict[str, Any], *, now: datetime, events: Events
) -> None:
    """wc_maybe_adjust_line_item_product_stock: a quantity change on an order that already took
    its stock moves the difference."""
    if raw.get("quantity") is not None:
        line.quantity = int(raw["quantity"])
        line.subtotal = line.total = round(_unit_price(line) * line.quantity, 2)
    for key in ("subtotal", "total"):
        if raw.get(key) not in (None, ""):
            setattr(line, key, _amount(raw[key]))
    if not order.stock_reduced or order.status not in REDUCING_STATUSES:
        return
    product = _line_product(store, line)
    owner = store.stock_owner(product) if product is not None else None
    if owner is None:
        return
    diff = line.quantity - line.reduced_stock
    if diff:
        set_stock(store, owner, int(owner.stock_quantity or 0) - diff, now, events)
        line.reduced_stock = line.quantity


def _unit_price(line: LineItem) -> float:
    return line.subtotal / line.quantity if line.quantity else 0.0


# -- stock ---------------------------------------------------------------------------------------


def check_stock(store: Store, lines: list[LineItem]) -> None:
    needed: dict[int, int] = defaultdict(int)
    names: dict[int, str] = {}
    for line in lines:
        product = _line_product(store, line)
        if product is None or line.reduced_stock:
            continue
        owner = store.stock_owner(product)
        if owner is None:
            if product.stock_status == "outofstock":
                raise _out_of_stock(product.name)
            continue
        needed[owner.id] += line.quantity
        names.setdefault(owner.id, product.name)
    for owner_id, quantity in needed.items():
        owner = store.products[owner_id]
        available = int(owner.stock_quantity or 0)
        if owner.backorders == "no" and quantity > available:
            if available <= 0:
                raise _out_of_stock(names[owner_id])
            raise WpError(
                "woocommerce_rest_product_partially_out_of_stock",
                f"You cannot add that amount of &quot;{names[owner_id]}&quot; to the cart because there "
                f"is not enough stock ({available} remaining).",
                400,
            )


def _out_of_stock(name: str) -> WpError:
    return WpError(
        "woocommerce_rest_product_out_of_stock",
        f"You cannot add &quot;{name}&quot; to the cart because the product is out of stock.",
        400,
    )


def _refunded_quantity(order: Order, line: LineItem) -> int:
    refunded = (r for refund in order.refunds for r in refund.line_items if r["refunded_item_id"] == line.id)
    return sum(r["quantity"] for r in refunded)


def reduce_stock(store: Store, order: Order, now: datetime, events: Events) -> None:
    for line in order.line_items:
        product = _line_product(store, line)
        owner = store.stock_owner(product) if product is not None else None
        if product is not None and not order.recorded_sales:
            counted = store.products.get(line.product_id, product)
            counted.total_sales += line.quantity
        if owner is None or line.reduced_stock:
            continue
        quantity = line.quantity - _refunded_quantity(order, line)
        set_stock(store, owner, int(owner.stock_quantity or 0) - quantity, now, events)
        line.reduced_stock = quantity
    order.stock_reduced = True
    order.recorded_sales = True


def restore_stock(store: Store, order: Order, now: datetime, events: Events) -> None:
    for line in order.line_items:
        product = _line_product(store, line)
        owner = store.stock_owner(product) if product is not None else None
        if owner is None or not line.reduced_stock:
            continue
        set_stock(store, owner, int(owner.stock_quantity or 0) + line.reduced_stock, now, events)
        line.reduced_stock = 0
    order.stock_reduced = False


# -- orders --------------------------------------------------------------------------------------


def _apply_fields(store: Store, order: Order, params: dict[str, Any]) -> None:
    customer = params.get("customer_id")
    if customer:
        raise WpError("woocommerce_rest_invalid_customer_id", "Customer ID is invalid.", 400)
    currency = params.get("currency")
    if currency is not None:
        if not re.fullmatch(r"[A-Z]{3}", str(currency)):
            raise WpError(
                "rest_invalid_param",
                "Invalid parameter(s): currency",
                400,
                params={"currency": "currency is not one of the shop's currencies."},
            )
        order.currency = str(currency)
    for key in ("customer_note", "payment_method", "payment_method_title", "transaction_id"):
        if params.get(key) is not None:
            setattr(order, key, str(params[key]))
    for key in ("billing", "shipping"):
        if isinstance(params.get(key), dict):
            getattr(order, key).update({k: str(v) for k, v in params[key].items() if v is not None})
    if isinstance(params.get("meta_data"), list):
        for raw in (m for m in params["meta_data"] if isinstance(m, dict) and "key" in m):
            order.meta_data = [m for m in order.meta_data if m["key"] != raw["key"]]
            meta = {"id": store.new_item_id(), "key": str(raw["key"]), "value": raw.get("value")}
            order.meta_data.append(meta)


def create_order(store: Store, params: dict[str, Any], now: datetime, events: Events) -> Order:
    params = validate(params, ORDER_ARGS)
    if params.get("id"):
        raise WpError("woocommerce_rest_shop_order_exists", "Cannot create existing shop_order.", 400)
    _check_line_fields(params.get("line_items") or [])
    order = Order(
        id=0,
        order_key=new_order_key(),
        status="pending",
        currency=store.currency,
        date_created=now,
        date_modified=now,
    )
    _apply_fields(store, order, params)
    for raw in (r for r in params.get("line_items") or [] if isinstance(r, dict)):
        if raw.get("id"):
            raise WpError(
                "woocommerce_rest_invalid_item_id",
                "Order item ID provided is not associated with order.",
                400,
            )
        if raw.get("quantity") == 0 or ("product_id" in raw and raw["product_id"] is None):
            continue
        order.line_items.append(_new_line(store, raw))
    status = str(params.get("status") or "pending")
    paid = bool(params.get("set_paid")) and status in ("on-hold", "pending", "failed", "cancelled")
    final = "processing" if paid else status
    if final in REDUCING_STATUSES:
        check_stock(store, order.line_items)
    order.id = store.new_post_id()
    store.orders[order.id] = order
    events.add("order.created", order.id)
    _transition(store, order, final, now, events)
    events.add("order.updated", order.id)
    return order


def update_order(store: Store, order: Order, params: dict[str, Any], now: datetime, events: Events) -> None:
    params = validate(params, ORDER_ARGS)
    _check_line_fields(params.get("line_items") or [])
    status = params.get("status")
    needs_payment = order.status in ("pending", "failed") and order.total > 0
    target = "processing" if params.get("set_paid") and needs_payment else status
    if target in REDUCING_STATUSES and not order.stock_reduced:
        check_stock(store, order.line_items)
    _apply_fields(store, order, params)
    if isinstance(params.get("line_items"), list):
        _apply_lines(store, order, params["line_items"], now, events)
    if status:
        _transition(store, order, str(status), now, events)
    if target == "processing" and status != "processing":
        _transition(store, order, "processing", now, events)
    order.date_modified = now
    events.add("order.updated", order.id)


def _transition(store: Store, order: Order, status: str, now: datetime, events: Events) -> None:
    previous = order.status
    order.date_modified = now
    if status == previous:
        return
    if status in REDUCING_STATUSES and not order.stock_reduced:
        check_stock(store, order.line_items)
    order.status = status
    if status == "processing" and order.date_paid is None:
        order.date_paid = now
    if status == "completed":
        order.date_completed = now
    if status in REDUCING_STATUSES and not order.stock_reduced:
        reduce_stock(store, order, now, events)
    elif status in RESTORING_STATUSES and order.stock_reduced:
        restore_stock(store, order, now, events)
    elif status == "refunded":
        remaining = round(order.total - order.total_refunded, 2)
        if remaining > 0:
            _record_refund(
                store,
                order,
                amount=remaining,
                reason="Order fully refunded.",
                lines={},
                refunded_payment=False,
                now=now,
            )


def trash_order(order: Order, force: bool, store: Store, events: Events) -> None:
    if force:
        store.orders.pop(order.id, None)
        for refund in order.refunds:
            store.refund_orders.pop(refund.id, None)
        return
    if order.status == "trash":
        raise WpError("woocommerce_rest_already_trashed", "The shop_order has already been deleted.", 410)
    order.status = "trash"
    events.add("order.deleted", order.id)


# -- refunds -------------------------------------------------------------------------------------


def create_refund(
    store: Store, order: Order, params: dict[str, Any], now: datetime, events: Events
) -> Refund:
    params = validate(params, REFUND_ARGS)
    lines: dict[int, dict[str, Any]] = {}
    for raw in (r for r in params.get("line_items") or [] if isinstance(r, dict) and r.get("id")):
        lines[as_int(raw["id"])] = {
            "qty": as_int(raw.get("quantity")),
            "refund_total": _amount(raw.get("refund_total")),
        }
    amount_text = params.get("amount")
    if amount_text in (None, "") and lines:
        amount = round(sum(spec["refund_total"] for spec in lines.values()), 2)
    else:
        amount = _amount(amount_text)
    if amount < 0:
        raise WpError(
            "woocommerce_rest_invalid_order_refund",
            "Refund amount must be greater than zero.",
            500,
            bare_data=400,
        )
    remaining = round(order.total - order.total_refunded, 2)
    if amount > remaining:
        raise _refund_error("Invalid refund amount.")
    refunded_payment = False
    if params.get("api_refund"):
        supports = GATEWAYS.get(order.payment_method)
        if supports is None:
            raise _refund_error("The payment gateway for this order does not exist.")
        if not supports:
            raise _refund_error("The payment gateway for this order does not support automatic refunds.")
        refunded_payment = True
    refund = _record_refund(
        store,
        order,
        amount=amount,
        reason=str(params.get("reason") or ""),
        lines=lines,
        refunded_payment=refunded_payment,
        now=now,
    )
    if params.get("api_restock"):
        _restock(store, order, lines, now, events)
    if amount >= remaining:
        _transition(store, order, "refunded", now, events)
    order.date_modified = now
    events.add("order.updated", order.id)
    return refund


def _record_refund(
    store: Store,
    order: Order,
    *,
    amount: float,
    reason: str,
    lines: dict[int, dict[str, Any]],
    refunded_payment: bool,
    now: datetime,
) -> Refund:
    refund = Refund(
        id=store.new_post_id(),
        date_created=now,
        amount=amount,
        reason=reason,
        refunded_payment=refunded_payment,
    )
    for line in order.line_items:
        spec = lines.get(line.id)
        if spec is None or not (spec["qty"] or spec["refund_total"]):
            continue
        refund.line_items.append(
            {
                "id": store.new_item_id(),
                "refunded_item_id": line.id,
                "name": line.name,
                "product_id": line.product_id,
                "variation_id": line.variation_id,
                "quantity": spec["qty"],
                "total": spec["refund_total"],
                "sku": line.sku,
            }
        )
    order.refunds.append(refund)
    store.refund_orders[refund.id] = order.id
    return refund


def _restock(
    store: Store, order: Order, lines: dict[int, dict[str, Any]], now: datetime, events: Events
) -> None:
    """wc_restock_refunded_items, except that a line gives back at most what it took."""
    for line in order.line_items:
        spec = lines.get(line.id)
        product = _line_product(store, line)
        owner = store.stock_owner(product) if product is not None else None
        if spec is None or owner is None or line.reduced_stock <= 0 or spec["qty"] <= 0:
            continue
        quantity = min(spec["qty"], line.reduced_stock)
        set_stock(store, owner, int(owner.stock_quantity or 0) + quantity, now, events)
        line.reduced_stock -= quantity
        line.restocked_by_refunds += quantity
