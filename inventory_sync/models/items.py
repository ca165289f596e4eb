"""The hub's copy of the master's items, with the stock counters of DESIGN.md section 3."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import F

from .tenancy import MerchantOwned

QTY: dict[str, Any] = {"max_digits": 14, "decimal_places": 4}
MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 4}


def normalize_code(code: str | None) -> str:
    """The form product codes are compared in: Unicode-normalised, trimmed, inner whitespace
    removed, upper case. 'org-tray-s ' and 'ORG-TRAY-S' are the same code; 'HOOK-STEL-10' and
    'HOOK-STEEL-10' are not (that is a typo, for staff to match)."""
    if not code:
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", code)).upper()


COUNTER_FIELDS = frozenset({"master_on_hand", "master_updated_at", "reserved"})


class ItemType(models.TextChoices):
    INVENTORY = "inventory", "Inventory"
    NON_INVENTORY = "non_inventory", "Non-inventory"
    SERVICE = "service", "Service"


class Item(MerchantOwned):
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    sku = models.CharField(max_length=100, blank=True)
    sku_normalized = models.CharField(max_length=100, blank=True, editable=False)
    barcode = models.CharField(max_length=64, blank=True)
    barcode_normalized = models.CharField(max_length=64, blank=True, editable=False)
    type = models.CharField(max_length=16, choices=ItemType.choices, default=ItemType.INVENTORY)
    cost = models.DecimalField(**MONEY, null=True, blank=True)
    sales_price = models.DecimalField(**MONEY, null=True, blank=True)
    preferred_vendor = models.CharField(max_length=200, blank=True)
    reorder_point = models.DecimalField(**QTY, null=True, blank=True)
    tracked = models.BooleanField(
        default=True, help_text="The master tracks quantity on hand (TrackQtyOnHand)."
    )
    active = models.BooleanField(default=True)
    master_id = models.CharField(
        max_length=64, blank=True, help_text="The item's id in the master (QuickBooks Id)."
    )
    sync_token = models.CharField(max_length=32, blank=True)
    # Counters. Written only by inventory_sync.services.stock, each change with a ledger row.
    master_on_hand = models.DecimalField(**QTY, default=Decimal(0))
    master_updated_at = models.DateTimeField(null=True, blank=True)
    reserved = models.DecimalField(**QTY, default=Decimal(0))
    available = models.GeneratedField(
        expression=F("master_on_hand") - F("reserved"),
        output_field=models.DecimalField(**QTY),
        db_persist=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "master_id"],
                condition=~models.Q(master_id=""),
                name="one_item_per_master_id",
            ),
        ]
        indexes = [
            models.Index(fields=["merchant", "sku_normalized"], name="item_sku_norm"),
            models.Index(fields=["merchant", "barcode_normalized"], name="item_barcode_norm"),
            models.Index(fields=["merchant", "available"], name="item_available"),
            models.Index(fields=["merchant", "name"], name="item_name"),
        ]

    def __str__(self) -> str:
        return f"{self.sku or '-'} {self.name}"

    def save(self, *args, **kwargs) -> None:
        self.sku_normalized = normalize_code(self.sku)
        self.barcode_normalized = normalize_code(self.barcode)
        update_fields = kwargs.get("update_fields")
        if update_fields is None and not self._state.adding:
            # A plain save() of an item loaded earlier must never write back stale counters over
            # a concurrent sale: the counters move only through the stock services.
            update_fields = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in COUNTER_FIELDS and not f.generated
            ]
        if update_fields is not None:
            fields = set(update_fields)
            if "sku" in fields:
                fields.add("sku_normalized")
            if "barcode" in fields:
                fields.add("barcode_normalized")
            kwargs["update_fields"] = fields
        super().save(*args, **kwargs)

    @property
    def is_stocked(self) -> bool:
        return self.type == ItemType.INVENTORY and self.tracked
