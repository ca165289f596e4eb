"""The demo merchant: created once, reused on every later run."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from inventory_sync.models import Merchant, Role
from inventory_sync.services.tenancy import member_add, merchant_create

DEMO_SLUG = "demo-homewares"
DEMO_USERS = (("owner", Role.OWNER), ("staff", Role.STAFF), ("viewer", Role.VIEWER))


@dataclass(frozen=True)
class DemoLogin:
    merchant: Merchant
    passwords: dict[str, str]


def _login_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-logins.json"


@transaction.atomic
def seed_demo_merchant() -> DemoLogin:
    """The demo merchant with an owner, a staff member and a viewer. Passwords are generated on
    the first run and kept in var/demo-logins.json so later runs can print them again."""
    path = _login_file()
    saved: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    merchant = Merchant.objects.filter(slug=DEMO_SLUG).first() or merchant_create(name="Demo Homewares")
    if merchant.slug != DEMO_SLUG:
        merchant.slug = DEMO_SLUG
        merchant.save(update_fields=["slug"])
    passwords = {}
    for username, role in DEMO_USERS:
        wanted = saved.get(username) or secrets.token_urlsafe(9)
        user, created_password = member_add(merchant=merchant, username=username, role=role, password=wanted)
        if created_password is None and username in saved:
            passwords[username] = saved[username]
        elif created_password is not None:
            passwords[username] = created_password
        else:
            # The user existed before this file did: give it a known password again.
            user.set_password(wanted)
            user.save(update_fields=["password"])
            passwords[username] = wanted
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(passwords, indent=2))
    path.chmod(0o600)
    return DemoLogin(merchant, passwords)
