"""`python manage.py sandbox`: QuickBooks on 8101, Shopify on 8102, WooCommerce on 8103.

The first line of output is a JSON object with each platform's base URL and credentials."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from channels.sandbox import run


class Command(BaseCommand):
    help = "Run the sandbox QuickBooks Online, Shopify and WooCommerce on loopback."

    def add_arguments(self, parser: CommandParser) -> None:
        run.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        namespace = argparse.Namespace(**{k: v for k, v in options.items()})
        run.run(namespace, out=self.stdout)
