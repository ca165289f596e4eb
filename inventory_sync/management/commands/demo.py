"""`make demo`: the whole product on one machine with nothing installed.

Migrates the SQLite file, seeds the demo merchant, starts the sandbox platforms (QuickBooks,
Shopify, WooCommerce) in their own process, connects the merchant to them (QuickBooks as master,
both channels with sync on, webhooks registered, items and listings imported, exact codes
matched), starts worker threads and the scheduler on the in-process queue, and serves the
dashboard with waitress on http://127.0.0.1:8000.
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from waitress import serve

from inventory_sync.demo import connect_demo, seed_demo_merchant
from inventory_sync.queueing import EmbeddedWorkers, is_embedded
from inventory_sync.wsgi import application

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the demo: migrate, seed, start the sandbox platforms and workers, serve the dashboard."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2, help="worker threads (embedded queue only)")
        parser.add_argument("--no-sandbox", action="store_true", help="do not start or connect the sandbox")
        parser.add_argument(
            "--sandbox-ports", default="8101,8102,8103", help="QuickBooks,Shopify,WooCommerce"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        var = Path(settings.VAR_DIR)
        var.mkdir(parents=True, exist_ok=True)
        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        login = seed_demo_merchant()
        hub_url = f"http://{options['host']}:{options['port']}"
        settings.PUBLIC_BASE_URL = hub_url
        sandbox_process = None
        workers = None
        # A SIGTERM (systemd, `timeout`, `kill`) stops the demo like Ctrl+C does, so the sandbox
        # process below is stopped too instead of being left holding its ports.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            if not options["no_sandbox"]:
                sandbox_process, config = self._start_sandbox(var, options["sandbox_ports"])
                self.stdout.write("Sandbox platforms:")
                for name, platform in config.items():
                    self.stdout.write(f"  {name:<12} {platform['base_url']}")
                self.stdout.write("Connecting the demo merchant (imports run on the first start)...")
            workers = EmbeddedWorkers(count=options["workers"]).start() if is_embedded() else None
            if sandbox_process is not None:
                connect_demo(merchant=login.merchant, sandbox=config, hub_url=hub_url, log=self.stdout.write)
            self.stdout.write(self.style.SUCCESS(f"\nInventory sync demo: {hub_url}/"))
            self.stdout.write(f"Merchant: {login.merchant.name}")
            for username, password in login.passwords.items():
                self.stdout.write(f"  sign in as {username:<7} password {password}")
            if sandbox_process is not None:
                self.stdout.write(
                    "Place orders through the channels' own APIs, or let simulated shoppers do it:\n"
                    f"  .venv/bin/python manage.py shopper --config {var / 'sandbox.json'} --rate 0.5"
                )
            self.stdout.write("Press Ctrl+C to stop.\n")
            serve(application, host=options["host"], port=options["port"], threads=8, ident="inventory-sync")
        finally:
            if workers is not None:
                workers.stop()
            if sandbox_process is not None:
                sandbox_process.terminate()
                try:
                    sandbox_process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    sandbox_process.kill()

    def _start_sandbox(self, var: Path, ports: str) -> tuple[subprocess.Popen, dict[str, Any]]:
        qbo, shop, woo = (p.strip() for p in ports.split(","))
        process = subprocess.Popen(  # noqa: S603  (our own interpreter and fixed arguments)
            [
                sys.executable,
                "-m",
                "channels.sandbox",
                "--quickbooks-port",
                qbo,
                "--shopify-port",
                shop,
                "--woocommerce-port",
                woo,
                "--config-out",
                str(var / "sandbox.json"),
                "--snapshot-dir",
                str(var / "sandbox"),
            ],
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            process.wait(timeout=10)
            raise CommandError(
                "the sandbox platforms did not start (is something else on ports "
                f"{ports}? pass --sandbox-ports or --no-sandbox)"
            )
        return process, json.loads(line)
