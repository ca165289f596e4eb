"""Validation, totals and stock effects of the transactions that move inventory.

Lines follow QuickBooks: sales documents (SalesReceipt, Invoice, CreditMemo, RefundReceipt) take
SalesItemLineDetail {ItemRef, Qty, UnitPrice}, DiscountLineDetail and DescriptionOnly lines and
come back with a SubTotalLineDetail line appended; purchase documents (Bill, Purchase,
VendorCredit, PurchaseOrder) take ItemBasedExpenseLineDetail {ItemRef, Qty, UnitPrice} and
AccountBasedExpenseLineDetail {AccountRef}; InventoryAdjustment takes ItemAdjustmentLineDetail
{ItemRef, QtyDiff} (or NewQty, the quantity to end up with). Every priced line needs Amount;
when Qty and UnitPrice are both given, Amount must equal their product (fault 6070); a missing
one is derived from the others. TotalAmt is the sum of the lines less discounts.

Stock moves only for Inventory items (TrackQtyOnHand): SalesReceipt and Invoice take stock out,
CreditMemo and RefundReceipt put it back, Bill and Purchase bring it in (a Purchase with
Credit=true is a refund and takes it out), VendorCredit sends it back, a PurchaseOrder moves
nothing. QuickBooks allows QtyOnHand to go negative, and so does this.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from . import faults
from .books import Books
from .entities import PAYMENT_TYPES, READ_ONLY, EntitySpec
from .formats import company_date, decimal_of, is_date, money, num
from .namelists import USD

_LINE_TYPES = {
    "sales": ("SalesItemLineDetail", "DiscountLineDetail", "DescriptionOnly", "SubTotalLineDetail"),
    "expense": ("ItemBasedExpenseLineDetail", "AccountBasedExpenseLineDetail"),
    "adjust": ("ItemAdjustmentLineDetail",),
}
# Returned by QuickBooks but computed by it: never taken from a request.
_COMPUTED = frozenset({"TotalAmt", "Balance", "HomeBalance", "HomeTotalAmt", "RemainingCredit"})
_REF_FIELDS = (
    "CustomerRef",
    "VendorRef",
    "AccountRef",
    "APAccountRef",
    "DepositToAccountRef",
    "AdjustAccountRef",
)
_UNIT_PRICE = Decimal("0.0000001")


@dataclass
class Built:
    obj: dict[str, Any]
    effects: dict[str, Decimal] = field(default_factory=dict)  # item Id -> quantity moved
    linked_pos: list[str] = field(default_factory=list)


def _decimal(value: Any, name: str) -> Decimal | None:
    if value is None:
        return None
    result = decimal_of(value)
    if result is None:
        raise faults.bad_value(name, value)
    return result


def _priced(
    raw: dict[str, Any], detail: dict[str, Any], detail_type: str
) -> tuple[Decimal, Decimal, Decimal]:
    amount = _decimal(raw.get("Amount"), "Line.Amount")
    qty = _decimal(detail.get("Qty"), f"Line.{detail_type}.Qty")
    price = _decimal(detail.get("UnitPrice"), f"Line.{detail_type}.UnitPrice")
    if amount is None:
        raise faults.required_missing("Line.Amount")
    if qty is not None and price is not None:
        if (qty * price).quantize(Decimal("0.01")) != amount.quantize(Decimal("0.01")):
            raise faults.amount_mismatch(raw.get("Amount"))
    elif qty is None:
        qty = (amount / price) if price else Decimal(1)
    else:
        price = (amount / qty).quantize(_UNIT_PRICE).normalize() if qty else Decimal(0)
    return amount, qty, price or Decimal(0)


def linked_po_ids(obj: dict[str, Any]) -> list[str]:
    def listed(value: Any) -> list[Any]:
        return value if isinstance(value, list) else []

    links = list(listed(obj.get("LinkedTxn")))
    for line in listed(obj.get("Line")):
        if isinstance(line, dict):
            links.extend(listed(line.get("LinkedTxn")))
    return sorted(
        {
            str(link.get("TxnId"))
            for link in links
            if isinstance(link, dict) and link.get("TxnType") == "PurchaseOrder"
        }
    )


def _default_account(books: Books, name: str) -> dict[str, Any] | None:
    account_id = books.find_name("Account", name)
    return {"value": account_id, "name": name} if account_id else None


def build_transaction(
    books: Books,
    spec: EntitySpec,
    payload: dict[str, Any],
    now: datetime,
    *,
    old_effects: dict[str, float] | None = None,
) -> Built:
    for name in spec.required:
        if payload.get(name) in (None, "", []):
            raise faults.required_missing(name)
    lines = payload["Line"]
    if not isinstance(lines, list):
        raise faults.bad_value("Line", lines)

    txn = {k: v for k, v in payload.items() if k not in _COMPUTED and k not in READ_ONLY}
    for name in _REF_FIELDS:
        if payload.get(name) is not None:
            txn[name] = books.ref(name, payload[name])
    txn_date = payload.get("TxnDate") or company_date(now)
    if not is_date(txn_date):
        raise faults.bad_value("TxnDate", txn_date)
    txn["TxnDate"] = txn_date
    if payload.get("DocNumber") is not None:
        doc = str(payload["DocNumber"])
        if len(doc) > 21:
            raise faults.string_length("DocNumber", len(doc), 21)
        txn["DocNumber"] = doc
    elif spec.lines == "sales" or spec.name == "PurchaseOrder":
        txn["DocNumber"] = books.next_doc_number(spec.name)
    if spec.name == "Purchase":
        if payload["PaymentType"] not in PAYMENT_TYPES:
            raise faults.bad_value("PaymentType", payload["PaymentType"])
        if not isinstance(payload.get("Credit", False), bool):
            raise faults.bad_value("Credit", payload.get("Credit"))
    sign = -1 if spec.name == "Purchase" and payload.get("Credit") is True else spec.stock_sign

    built = Built(txn)
    effects: defaultdict[str, Decimal] = defaultdict(Decimal)
    baseline: dict[str, Decimal] = {}  # for NewQty: the quantity before this adjustment

    def start_qty(item: dict[str, Any]) -> Decimal:
        if item["Id"] not in baseline:
            current = decimal_of(item.get("QtyOnHand", 0)) or Decimal(0)
            undo = Decimal(str((old_effects or {}).get(item["Id"], 0)))
            baseline[item["Id"]] = current - undo
        return baseline[item["Id"]] + effects.get(item["Id"], Decimal(0))

    subtotal = Decimal(0)
    discount = Decimal(0)
    out_lines: list[dict[str, Any]] = []
    for raw in lines:
        if not isinstance(raw, dict):
            raise faults.bad_value("Line", raw)
        detail_type = raw.get("DetailType")
        if not detail_type:
            raise faults.required_missing("Line.DetailType")
        if detail_type not in _LINE_TYPES[spec.lines]:
            raise faults.bad_value("Line.DetailType", detail_type)
        if detail_type == "SubTotalLineDetail":
            continue  # recomputed below
        detail = raw.get(detail_type, {})
        if not isinstance(detail, dict):
            raise faults.bad_value(f"Line.{detail_type}", detail)
        line = {k: v for k, v in raw.items() if k not in ("Id", "LineNum")}
        line["Id"] = str(len(out_lines) + 1)
        line["LineNum"] = len(out_lines) + 1
        if detail_type in ("SalesItemLineDetail", "ItemBasedExpenseLineDetail"):
            if detail.get("ItemRef") is None:
                raise faults.required_missing(f"Line.{detail_type}.ItemRef")
            item_ref = books.ref("ItemRef", detail["ItemRef"], kind="Item")
            item = books.objects["Item"][item_ref["value"]]
            amount, qty, price = _priced(raw, detail, detail_type)
            detail = {**detail, "ItemRef": item_ref, "Qty": num(qty), "UnitPrice": num(price)}
            if detail_type == "SalesItemLineDetail":
                detail.setdefault("TaxCodeRef", {"value": "NON"})
            else:
                detail.setdefault("BillableStatus", "NotBillable")
            line["Amount"] = money(amount)
            subtotal += amount
            if sign and books.is_tracked(item):
                effects[item["Id"]] += sign * qty
        elif detail_type == "AccountBasedExpenseLineDetail":
            if detail.get("AccountRef") is None:
                raise faults.required_missing("Line.AccountBasedExpenseLineDetail.AccountRef")
            detail = {**detail, "AccountRef": books.ref("AccountRef", detail["AccountRef"])}
            expense = _decimal(raw.get("Amount"), "Line.Amount")
            if expense is None:
                raise faults.required_missing("Line.Amount")
            line["Amount"] = money(expense)
            subtotal += expense
        elif detail_type == "DiscountLineDetail":
            percent = _decimal(detail.get("DiscountPercent"), "Line.DiscountLineDetail.DiscountPercent")
            if detail.get("PercentBased") and percent is not None:
                amount = subtotal * percent / 100
            else:
                amount = _decimal(raw.get("Amount"), "Line.Amount") or Decimal(0)
            line["Amount"] = money(amount)
            discount += amount
        elif detail_type == "DescriptionOnly":
            line["Amount"] = money(_decimal(raw.get("Amount"), "Line.Amount") or Decimal(0))
        else:  # ItemAdjustmentLineDetail
            if detail.get("ItemRef") is None:
                raise faults.required_missing("Line.ItemAdjustmentLineDetail.ItemRef")
            item_ref = books.ref("ItemRef", detail["ItemRef"], kind="Item")
            item = books.objects["Item"][item_ref["value"]]
            if not books.is_tracked(item):
                raise faults.business(
                    f"Item {item_ref['name']} is not an inventory item; only inventory quantities "
                    "can be adjusted."
                )
            diff = _decimal(detail.get("QtyDiff"), "Line.ItemAdjustmentLineDetail.QtyDiff")
            new_qty = _decimal(detail.get("NewQty"), "Line.ItemAdjustmentLineDetail.NewQty")
            if diff is None and new_qty is None:
                raise faults.required_missing("Line.ItemAdjustmentLineDetail.QtyDiff")
            if diff is None:
                assert new_qty is not None
                diff = new_qty - start_qty(item)
            detail = {**detail, "ItemRef": item_ref, "QtyDiff": num(diff)}
            effects[item["Id"]] += diff
        line["DetailType"] = detail_type
        if detail_type != "DescriptionOnly" or detail:
            line[detail_type] = detail
        out_lines.append(line)
    if not out_lines:
        raise faults.required_missing("Line")

    if spec.lines == "sales":
        out_lines.append(
            {"Amount": money(subtotal), "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
        )
    txn["Line"] = out_lines
    built.effects = {item_id: qty for item_id, qty in effects.items() if qty}
    built.linked_pos = linked_po_ids(txn)
    for po_id in built.linked_pos:
        if po_id not in books.objects["PurchaseOrder"]:
            raise faults.invalid_reference("PurchaseOrder", po_id)
    _finish(books, spec, txn, subtotal - discount)
    return built


def _finish(books: Books, spec: EntitySpec, txn: dict[str, Any], total: Decimal) -> None:
    """Totals, balances and the defaults QuickBooks fills in for each kind of transaction."""
    if spec.name == "InventoryAdjustment":
        return
    txn["CurrencyRef"] = USD
    txn["TotalAmt"] = money(total)
    txn.setdefault("PrivateNote", "")
    due = (date.fromisoformat(txn["TxnDate"]) + timedelta(days=30)).isoformat()
    if spec.lines == "sales":
        txn.setdefault("ApplyTaxAfterDiscount", False)
        txn.setdefault("PrintStatus", "NotSet")
        txn.setdefault("EmailStatus", "NotSet")
        txn.setdefault("TxnTaxDetail", {"TotalTax": 0})
    if spec.name == "Invoice":
        txn.setdefault("DueDate", due)
        txn.setdefault("LinkedTxn", [])
        txn["Balance"] = txn["TotalAmt"]
    elif spec.name in ("SalesReceipt", "RefundReceipt"):
        txn["Balance"] = 0
        account = _default_account(books, "Undeposited Funds")
        if "DepositToAccountRef" not in txn and account:
            txn["DepositToAccountRef"] = account
    elif spec.name == "CreditMemo":
        txn["Balance"] = txn["TotalAmt"]
        txn["RemainingCredit"] = txn["TotalAmt"]
    elif spec.name in ("Bill", "VendorCredit", "PurchaseOrder"):
        account = _default_account(books, "Accounts Payable (A/P)")
        if "APAccountRef" not in txn and account:
            txn["APAccountRef"] = account
        if spec.name == "Bill":
            txn.setdefault("DueDate", due)
        if spec.name == "PurchaseOrder":
            txn["POStatus"] = txn.get("POStatus") if txn.get("POStatus") in ("Open", "Closed") else "Open"
        else:
            txn["Balance"] = txn["TotalAmt"]
    elif spec.name == "Purchase":
        txn.setdefault("Credit", False)
