"""Matchings: which master item a channel's product code stands for."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from inventory_sync.models import Item, MerchantOwned


class MatchingSource(models.TextChoices):
    EXACT = "exact", "Exact code (automatic)"
    STAFF = "staff", "Added by staff"
    IMPORT = "import", "Listing import"


class Matching(MerchantOwned):
    connection = models.ForeignKey("channels.Connection", on_delete=models.CASCADE, related_name="matchings")
    code = models.CharField(max_length=128, help_text="The product code as first seen.")
    code_normalized = models.CharField(max_length=128)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="matchings")
    source = models.CharField(max_length=8, choices=MatchingSource.choices, default=MatchingSource.STAFF)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["connection_id", "code_normalized"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "code_normalized"], name="one_matching_per_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} -> {self.item_id}"
