"""Orders downloaded from the channels and their lines, each line staged or live."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from .items import MONEY, Item
from .tenancy import MerchantOwned


class OrderStatus(models.TextChoices):
    OPEN = "open", "Open"
    FULFILLED = "fulfilled", "Fulfilled"
    DISPATCHED = "dispatched", "Marked dispatched"
    CANCELLED = "cancelled", "Cancelled"
    REFUNDED = "refunded", "Refunded"


class LineState(models.TextChoices):
    STAGED = "staged", "Staged (no matching yet)"
    LIVE = "live", "Live (reserved)"
    CANCELLED = "cancelled", "Cancelled"
    RELEASED = "released", "Released"
    POSTED = "posted", "Posted to the master"


class Order(MerchantOwned):
    connection = models.ForeignKey("channels.Connection", on_delete=models.PROTECT, related_name="orders")
    external_id = models.CharField(max_length=64)
    number = models.CharField(max_length=64, blank=True, help_text="What the channel shows, e.g. #1001.")
    status = models.CharField(max_length=16, choices=OrderStatus.choices, default=OrderStatus.OPEN)
    financial_status = models.CharField(max_length=32, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    total = models.DecimalField(**MONEY, default=Decimal(0))
    customer_name = models.CharField(max_length=200, blank=True)
    channel_created_at = models.DateTimeField()
    channel_updated_at = models.DateTimeField()
    dispatched_at = models.DateTimeField(null=True, blank=True)
    dispatched_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-channel_created_at"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "external_id"], name="one_order_per_channel_id"),
        ]
        indexes = [
            models.Index(fields=["merchant", "status", "channel_created_at"], name="order_status_created"),
            models.Index(fields=["merchant", "channel_created_at"], name="order_created"),
        ]

    def __str__(self) -> str:
        return self.number or self.external_id


class OrderLine(MerchantOwned):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    # Denormalised from the order: the staging area groups and filters lines by it.
    connection = models.ForeignKey("channels.Connection", on_delete=models.PROTECT, related_name="+")
    external_id = models.CharField(max_length=64)
    product_code = models.CharField(
        max_length=128, blank=True, help_text="SKU or barcode, as the channel spells it."
    )
    code_normalized = models.CharField(max_length=128, blank=True)
    sku = models.CharField(max_length=128, blank=True)
    barcode = models.CharField(max_length=64, blank=True)
    title = models.CharField(max_length=255, blank=True)
    quantity = models.PositiveIntegerField()
    refunded_quantity = models.PositiveIntegerField(default=0)
    unit_price = models.DecimalField(**MONEY, default=Decimal(0))
    item = models.ForeignKey(
        Item, null=True, blank=True, on_delete=models.PROTECT, related_name="order_lines"
    )
    state = models.CharField(max_length=12, choices=LineState.choices, default=LineState.STAGED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "external_id"], name="one_line_per_channel_id"),
        ]
        indexes = [
            models.Index(fields=["merchant", "state", "connection", "code_normalized"], name="line_staging"),
            models.Index(fields=["item", "state"], name="line_item_state"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.external_id} {self.product_code} x{self.quantity}"

    @property
    def open_quantity(self) -> int:
        """Units still wanted: ordered minus refunded."""
        return max(self.quantity - self.refunded_quantity, 0)
