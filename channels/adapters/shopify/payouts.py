"""Shopify Payments payouts (REST), each with the orders charged and refunded in it.

A payout's orders come from its balance transactions: `charge` entries name the orders paid,
`refund` entries the orders refunded. Money in the summary is Shopify's: gross charges, fees per
kind (summed here), and refunds as a negative gross (kept as the amount refunded).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from channels.adapters.base import NotSupported, Page, Payout, PermanentChannelError

from .client import ShopifyClient
from .orders import money, numeric_id

MAX_TRANSACTION_PAGES = 200


class PayoutReader:
    def __init__(
        self, client: ShopifyClient, *, page_size: int = 50, transactions_page_size: int = 250
    ) -> None:
        self.client = client
        self.page_size = page_size
        self.transactions_page_size = transactions_page_size

    def fetch(self, *, since: date | None, cursor: str | None = None) -> Page[Payout]:
        params: dict[str, Any] = {"limit": self.page_size}
        if cursor:
            params["page_info"] = cursor
        else:
            params["status"] = "paid"
            if since is not None:
                params["date_min"] = since.isoformat()
        try:
            answer = self.client.rest_get("shopify_payments/payouts.json", params)
        except PermanentChannelError as exc:
            if exc.status == 404:
                raise NotSupported(
                    "Shopify Payments is not active on this shop: there are no payouts"
                ) from exc
            raise
        bodies = answer.body.get("payouts") if isinstance(answer.body, dict) else None
        if not isinstance(bodies, list):
            raise PermanentChannelError(
                "Shopify's payouts answer has no payouts list", raw=json.dumps(answer.body)
            )
        payouts = [self._payout(body) for body in bodies]
        return Page(payouts, answer.next_page_info)

    def _payout(self, body: Any) -> Payout:
        try:
            payout_id = numeric_id(body.get("id"), "payout id")
            summary = body.get("summary") or {}
            fees = sum(
                (money(v, k) for k, v in summary.items() if k.endswith("_fee_amount")),
                Decimal(0),
            )
            charges, refunds = self._payout_orders(payout_id)
            return Payout(
                external_id=payout_id,
                status=str(body.get("status") or ""),
                date=date.fromisoformat(str(body.get("date"))),
                currency=str(body.get("currency") or ""),
                amount=money(body.get("amount"), "amount"),
                order_external_ids=charges,
                refund_order_external_ids=refunds,
                fees=fees,
                gross_sales=money(summary.get("charges_gross_amount"), "charges_gross_amount"),
                # Shopify reports refunds as a negative gross; the hub keeps the amount refunded.
                refunds=abs(money(summary.get("refunds_gross_amount"), "refunds_gross_amount")),
            )
        except (ValueError, TypeError, AttributeError) as exc:
            raise PermanentChannelError(
                f"Shopify sent a payout the hub cannot read: {exc}", raw=json.dumps(body, default=str)
            ) from exc

    def _payout_orders(self, payout_id: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Orders charged and refunded in one payout, from its balance transactions (paged)."""
        charges: dict[str, None] = {}
        refunds: dict[str, None] = {}
        params: dict[str, Any] = {"payout_id": payout_id, "limit": self.transactions_page_size}
        for _ in range(MAX_TRANSACTION_PAGES):
            answer = self.client.rest_get("shopify_payments/balance/transactions.json", params)
            entries = answer.body.get("transactions") if isinstance(answer.body, dict) else None
            if not isinstance(entries, list):
                raise ValueError(f"the balance transactions of payout {payout_id} are not a list")
            for entry in entries:
                order = entry.get("source_order_id") if isinstance(entry, dict) else None
                if not order:
                    continue
                if entry.get("type") == "charge":
                    charges[str(order)] = None
                elif entry.get("type") == "refund":
                    refunds[str(order)] = None
            following = answer.next_page_info
            if following is None:
                break
            params = {"limit": self.transactions_page_size, "page_info": following}
        else:
            raise PermanentChannelError(
                f"payout {payout_id} has more than {MAX_TRANSACTION_PAGES} pages of transactions"
            )
        return tuple(charges), tuple(refunds)
