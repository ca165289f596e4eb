"""Shopify Payments as the shop sees it: balance transactions and daily payouts.

Every paid order adds a charge (gross, fee = percent + fixed, net) and every money refund a
refund (negative, no fee returned). The takings of each business day in the shop's timezone form
one payout dated the next business day; Saturdays, Sundays and the configured holidays have no
payout of their own, so their takings roll into the next business day's. `run` closes every
business day before today (what Shopify's scheduler does overnight) and marks payouts whose date
has come as paid, the others in transit.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .render import CURRENCY, money, shop_time
from .store import BalanceTransaction, Order, Payout, ShopifyStore, Transaction


def fee_for(amount: Decimal, *, percent: Decimal, fixed: Decimal) -> Decimal:
    return (amount * percent / Decimal(100) + fixed).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def record_charge(
    store: ShopifyStore, order: Order, txn: Transaction, *, percent: Decimal, fixed: Decimal
) -> BalanceTransaction:
    amount = Decimal(txn.amount)
    fee = fee_for(amount, percent=percent, fixed=fixed)
    entry = BalanceTransaction(
        id=store.next_id("balance_transaction"),
        type="charge",
        amount=money(amount),
        fee=money(fee),
        net=money(amount - fee),
        source_id=txn.id,
        source_type="charge",
        source_order_id=order.id,
        source_order_transaction_id=txn.id,
        processed_at=txn.created_at,
    )
    store.balance[entry.id] = entry
    return entry


def record_refund(store: ShopifyStore, order: Order, txn: Transaction) -> BalanceTransaction:
    amount = -Decimal(txn.amount)
    entry = BalanceTransaction(
        id=store.next_id("balance_transaction"),
        type="refund",
        amount=money(amount),
        fee="0.00",
        net=money(amount),
        source_id=txn.id,
        source_type="refund",
        source_order_id=order.id,
        source_order_transaction_id=txn.id,
        processed_at=txn.created_at,
    )
    store.balance[entry.id] = entry
    return entry


def is_business_day(day: date, holidays: Collection[str]) -> bool:
    return day.weekday() < 5 and day.isoformat() not in holidays


def next_business_day(day: date, holidays: Collection[str]) -> date:
    day += timedelta(days=1)
    while not is_business_day(day, holidays):
        day += timedelta(days=1)
    return day


def _summary(entries: list[BalanceTransaction]) -> dict[str, str]:
    def total(kind: str, attr: str) -> str:
        return money(sum((Decimal(getattr(e, attr)) for e in entries if e.type == kind), Decimal(0)))

    summary = {
        "adjustments_fee_amount": total("adjustment", "fee"),
        "adjustments_gross_amount": total("adjustment", "amount"),
        "charges_fee_amount": total("charge", "fee"),
        "charges_gross_amount": total("charge", "amount"),
        "refunds_fee_amount": total("refund", "fee"),
        "refunds_gross_amount": total("refund", "amount"),
        "reserved_funds_fee_amount": "0.00",
        "reserved_funds_gross_amount": "0.00",
        "retried_payouts_fee_amount": "0.00",
        "retried_payouts_gross_amount": "0.00",
    }
    return summary


def run(store: ShopifyStore, *, now: datetime, tz: tzinfo, holidays: Collection[str]) -> list[Payout]:
    """Close the business days before today; returns the payouts created by this run."""
    today = now.astimezone(tz).date()

    def local_day(entry: BalanceTransaction) -> date:
        return entry.processed_at.astimezone(tz).date()

    pending = sorted(
        (
            e
            for e in store.balance.values()
            if e.payout_id is None and e.type in ("charge", "refund", "adjustment")
        ),
        key=lambda e: (e.processed_at, e.id),
    )
    created: list[Payout] = []
    day = local_day(pending[0]) if pending else today
    while day < today:
        if is_business_day(day, holidays) and day.isoformat() not in store.closed_days:
            group = [e for e in pending if e.payout_id is None and local_day(e) <= day]
            if group:
                created.append(_open_payout(store, group, day, tz, holidays))
            store.closed_days.append(day.isoformat())
        day += timedelta(days=1)
    for payout in store.payouts.values():
        if payout.status in ("scheduled", "in_transit"):
            payout.status = "paid" if date.fromisoformat(payout.date) <= today else "in_transit"
    return created


def _open_payout(
    store: ShopifyStore, group: list[BalanceTransaction], day: date, tz: tzinfo, holidays: Collection[str]
) -> Payout:
    paid_on = next_business_day(day, holidays)
    amount = sum((Decimal(e.net) for e in group), Decimal(0))
    payout = Payout(
        id=store.next_id("payout"),
        business_day=day.isoformat(),
        date=paid_on.isoformat(),
        status="in_transit",
        amount=money(amount),
        summary=_summary(group),
    )
    store.payouts[payout.id] = payout
    for entry in group:
        entry.payout_id = payout.id
    withdrawal = BalanceTransaction(
        id=store.next_id("balance_transaction"),
        type="payout",
        amount=money(-amount),
        fee="0.00",
        net=money(-amount),
        source_id=payout.id,
        source_type="payout",
        source_order_id=None,
        source_order_transaction_id=None,
        processed_at=datetime.combine(paid_on, time(0, 0), tzinfo=tz),
        payout_id=payout.id,
    )
    store.balance[withdrawal.id] = withdrawal
    return payout


def payout_json(payout: Payout) -> dict[str, Any]:
    return {
        "id": payout.id,
        "status": payout.status,
        "date": payout.date,
        "currency": CURRENCY,
        "amount": payout.amount,
        "summary": dict(payout.summary),
    }


def balance_json(store: ShopifyStore, entry: BalanceTransaction, tz: tzinfo) -> dict[str, Any]:
    payout = store.payouts.get(entry.payout_id or 0)
    return {
        "id": entry.id,
        "type": entry.type,
        "test": False,
        "payout_id": entry.payout_id,
        "payout_status": payout.status if payout else "pending",
        "currency": CURRENCY,
        "amount": entry.amount,
        "fee": entry.fee,
        "net": entry.net,
        "source_id": entry.source_id,
        "source_type": entry.source_type,
        "source_order_id": entry.source_order_id,
        "source_order_transaction_id": entry.source_order_transaction_id,
        "processed_at": shop_time(entry.processed_at, tz),
    }
