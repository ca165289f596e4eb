"""Writes for merchants and their members."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.utils.text import slugify

from inventory_sync.models import Membership, Merchant, Role


def merchant_create(*, name: str, timezone: str = "UTC") -> Merchant:
    base = slugify(name)[:70] or "merchant"
    slug, n = base, 1
    while Merchant.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return Merchant.objects.create(name=name, slug=slug, timezone=timezone)


@transaction.atomic
def member_add(
    *, merchant: Merchant, username: str, role: str, password: str | None = None
) -> tuple[AbstractUser, str | None]:
    """Add a user (created if new) to the merchant with `role`. Returns the user and the password
    set when the user was created (None when the user already existed)."""
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username)
    new_password = None
    if created:
        new_password = password or secrets.token_urlsafe(12)
        user.set_password(new_password)
        user.save(update_fields=["password"])
    Membership.objects.update_or_create(user=user, merchant=merchant, defaults={"role": Role(role)})
    return user, new_password
