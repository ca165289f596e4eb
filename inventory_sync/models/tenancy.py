"""Merchants (tenants), their users' memberships and roles, and the scoping every domain row uses."""

from __future__ import annotations

from typing import Any, Self

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    STAFF = "staff", "Staff"
    VIEWER = "viewer", "Viewer"


# DESIGN.md section 7: owner/admin connect and import, staff match/resolve/retry, viewers read.
ROLE_RANK = {Role.VIEWER: 0, Role.STAFF: 1, Role.ADMIN: 2, Role.OWNER: 3}


def role_at_least(role: str, required: str) -> bool:
    return ROLE_RANK[Role(role)] >= ROLE_RANK[Role(required)]


class Merchant(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    # Business days (payouts) and the dashboard's dates are in the merchant's own time zone.
    timezone = models.CharField(max_length=64, default="UTC")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "merchant"], name="one_membership_per_merchant")
        ]
        ordering = ["merchant__name"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.merchant} ({self.role})"

    def allows(self, required: str) -> bool:
        return role_at_least(self.role, required)


class MerchantQuerySet(models.QuerySet):
    def for_merchant(self, merchant: Merchant | int) -> Self:
        return self.filter(merchant=merchant)


class MerchantOwned(models.Model):
    """Every domain row belongs to exactly one merchant; pages and jobs query through
    `Model.objects.for_merchant(merchant)` and never cross it."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")

    objects = MerchantQuerySet.as_manager()

    class Meta:
        abstract = True


def memberships_of(user: Any) -> models.QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("merchant")
