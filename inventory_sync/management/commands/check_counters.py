"""Recompute every item's counters from the ledger and report any difference (exit 1 if any)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inventory_sync.models import Merchant
from inventory_sync.services.stock import check_counters


class Command(BaseCommand):
    help = "Recompute master_on_hand and reserved from the stock ledger and report differences."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--merchant", help="slug of one merchant (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        merchant = None
        if options["merchant"]:
            merchant = Merchant.objects.filter(slug=options["merchant"]).first()
            if merchant is None:
                raise CommandError(f"no merchant with slug {options['merchant']!r}")
        differences = check_counters(merchant=merchant)
        for difference in differences:
            self.stdout.write(str(difference))
        if differences:
            raise CommandError(f"{len(differences)} counter(s) differ from the ledger")
        self.stdout.write(self.style.SUCCESS("counters agree with the ledger"))
