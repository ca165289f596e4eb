"""`make demo`: the whole product on one machine with nothing installed.

Migrates the SQLite file, seeds the demo merchant, starts worker threads on the in-process
queue, and serves the dashboard with waitress on http://127.0.0.1:8000.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from waitress import serve

from inventory_sync.demo import seed_demo_merchant
from inventory_sync.queueing import EmbeddedWorkers, is_embedded
from inventory_sync.wsgi import application

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the demo: migrate, seed the demo merchant, start workers, serve the dashboard."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2, help="worker threads (embedded queue only)")

    def handle(self, *args: Any, **options: Any) -> None:
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        login = seed_demo_merchant()
        workers = EmbeddedWorkers(count=options["workers"]).start() if is_embedded() else None
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(self.style.SUCCESS(f"\nInventory sync demo: {url}"))
        self.stdout.write(f"Merchant: {login.merchant.name}")
        for username, password in login.passwords.items():
            self.stdout.write(f"  sign in as {username:<7} password {password}")
        self.stdout.write("Press Ctrl+C to stop.\n")
        try:
            serve(application, host=options["host"], port=options["port"], threads=8, ident="inventory-sync")
        finally:
            if workers is not None:
                workers.stop()
