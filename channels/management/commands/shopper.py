"""`python manage.py shopper`: simulated shoppers buying on the sandbox channels through their APIs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from channels.sandbox.catalogue import shopify_products, woocommerce_products
from channels.sandbox.shopper import Shopper, storefronts_from_config


class Command(BaseCommand):
    help = "Place orders on the sandbox Shopify and WooCommerce at a given rate, through their own APIs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--config", default=str(Path(settings.VAR_DIR) / "sandbox.json"))
        parser.add_argument("--rate", type=float, default=0.5, help="orders per second, across channels")
        parser.add_argument("--duration", type=float, default=0, help="seconds (0: until Ctrl+C)")
        parser.add_argument("--orders", type=int, default=0, help="stop after this many orders (0: no limit)")
        parser.add_argument(
            "--skus", default="", help="comma-separated SKUs (default: what each channel lists)"
        )
        parser.add_argument("--channels", default="shopify,woocommerce")
        parser.add_argument("--quantity", default="1-3", help="units per line, e.g. 1-3")
        parser.add_argument("--cancel-rate", type=float, default=0.05)
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["config"])
        if not path.exists():
            raise CommandError(f"{path} not found: start the sandbox (make demo) first")
        config = json.loads(path.read_text())
        fronts = storefronts_from_config(
            config, [c.strip() for c in options["channels"].split(",") if c.strip()]
        )
        chosen = [s.strip() for s in options["skus"].split(",") if s.strip()]
        # By default each channel's shoppers buy what that channel lists, as it spells the SKUs:
        # a customer cannot order a product the shop does not have.
        listed = {"shopify": shopify_products(), "woocommerce": woocommerce_products()}
        skus: list[str] | dict[str, list[str]] = chosen or {
            channel: [p.sku for p in listed[channel] if p.tracked] for channel in fronts
        }
        low, _, high = options["quantity"].partition("-")
        shopper = Shopper(
            fronts,
            skus=skus,
            rate=options["rate"],
            quantity=(int(low), int(high or low)),
            cancel_rate=options["cancel_rate"],
            seed=options["seed"],
        )
        self.stdout.write(f"Shopping on {', '.join(fronts)} at {options['rate']} order(s)/s. Ctrl+C stops.")
        try:
            stats = shopper.run(duration=options["duration"] or None, orders=options["orders"] or None)
        except KeyboardInterrupt:
            shopper.stop()
            stats = shopper.stats
        for channel in sorted(fronts):
            self.stdout.write(
                f"{channel}: {stats.placed[channel]} placed, {stats.refused[channel]} refused "
                f"(out of stock), {stats.cancelled[channel]} cancelled, {stats.errors[channel]} errors"
            )
