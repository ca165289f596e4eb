"""Payouts from the channels and the postings that record sales in the master."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from .items import MONEY
from .orders import Order
from .tenancy import MerchantOwned


class Customer(MerchantOwned):
    """A master customer (imported), chosen on a connection as the customer of its postings."""

    master_id = models.CharField(max_length=64)
    display_name = models.CharField(max_length=500)
    email = models.CharField(max_length=254, blank=True)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "master_id"], name="one_customer_per_master_id")
        ]

    def __str__(self) -> str:
        return self.display_name


class Payout(MerchantOwned):
    connection = models.ForeignKey("channels.Connection", on_delete=models.CASCADE, related_name="payouts")
    external_id = models.CharField(max_length=64)
    status = models.CharField(max_length=16)
    date = models.DateField()
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(**MONEY)
    fees = models.DecimalField(**MONEY, default=Decimal(0))
    gross_sales = models.DecimalField(**MONEY, default=Decimal(0))
    refunds = models.DecimalField(**MONEY, default=Decimal(0))
    order_external_ids = models.JSONField(default=list)
    refund_order_external_ids = models.JSONField(default=list)
    fetched_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "external_id"], name="one_payout_per_channel_id"),
        ]

    def __str__(self) -> str:
        return f"payout {self.external_id} ({self.date})"


class PostingStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be posted"
    HELD = "held", "Held back"
    POSTED = "posted", "Posted"
    FAILED = "failed", "Failed"


class Posting(MerchantOwned):
    """One sale recorded in the master: a summary of a payout, or one order."""

    connection = models.ForeignKey("channels.Connection", on_delete=models.PROTECT, related_name="postings")
    master = models.ForeignKey(
        "channels.Connection", on_delete=models.PROTECT, related_name="master_postings"
    )
    payout = models.OneToOneField(
        Payout, null=True, blank=True, on_delete=models.PROTECT, related_name="posting"
    )
    order = models.OneToOneField(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="posting"
    )
    kind = models.CharField(max_length=16)  # sales_receipt | invoice
    request_id = models.CharField(max_length=50, unique=True, help_text="Idempotency key sent to the master.")
    status = models.CharField(max_length=8, choices=PostingStatus.choices, default=PostingStatus.PENDING)
    hold_reason = models.TextField(blank=True)
    error = models.TextField(blank=True)
    fault = models.TextField(blank=True, help_text="The master's raw answer to a failed posting.")
    attempts = models.PositiveIntegerField(default=0)
    lines = models.JSONField(default=list, help_text="What was (or will be) posted: item, quantity, amount.")
    orders_count = models.PositiveIntegerField(default=0)
    units = models.DecimalField(max_digits=14, decimal_places=4, default=Decimal(0))
    total = models.DecimalField(**MONEY, default=Decimal(0))
    master_txn_id = models.CharField(max_length=64, blank=True)
    doc_number = models.CharField(max_length=21, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["merchant", "status"], name="posting_status")]

    def __str__(self) -> str:
        return f"posting {self.request_id} ({self.status})"
