from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from inventory_sync.demo import seed_demo_merchant


class Command(BaseCommand):
    help = "Create (or reuse) the demo merchant and its owner, staff and viewer logins."

    def handle(self, *args: Any, **options: Any) -> None:
        login = seed_demo_merchant()
        self.stdout.write(f"Demo merchant: {login.merchant.name}")
        for username, password in login.passwords.items():
            self.stdout.write(f"  login {username:<7} password {password}")
