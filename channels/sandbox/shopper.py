"""Simulated shoppers: orders placed on the channels at a given rate, through each channel's own
public API (so the channel lowers its own stock and fires its own webhooks, as with real
customers), with optional cancellations and refunds. Used by the demo and the benchmarks.

    python manage.py shopper --config var/sandbox.json --rate 2 --duration 60
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

from channels.sandbox.shopify.storefront import OutOfStock as ShopifyOutOfStock
from channels.sandbox.shopify.storefront import ShopifyStorefront
from channels.sandbox.woocommerce.storefront import OutOfStock as WooOutOfStock
from channels.sandbox.woocommerce.storefront import WooCommerceStorefront

OUT_OF_STOCK = (ShopifyOutOfStock, WooOutOfStock)


class Storefront(Protocol):
    def place_order(self, lines: list[tuple[str, int]]) -> dict[str, Any]: ...

    def cancel(self, order_id: int) -> dict[str, Any]: ...


def storefronts_from_config(
    config: dict[str, Any], channels: list[str] | None = None
) -> dict[str, Storefront]:
    """Build storefront clients from the JSON that `manage.py sandbox` prints."""
    fronts: dict[str, Storefront] = {}
    wanted = channels or ["shopify", "woocommerce"]
    if "shopify" in wanted and "shopify" in config:
        shop = config["shopify"]
        fronts["shopify"] = ShopifyStorefront(shop["base_url"], shop["access_token"])
    if "woocommerce" in wanted and "woocommerce" in config:
        woo = config["woocommerce"]
        fronts["woocommerce"] = WooCommerceStorefront(
            woo["base_url"], woo["consumer_key"], woo["consumer_secret"]
        )
    return fronts


@dataclass
class ShopperStats:
    placed: Counter[str] = field(default_factory=Counter)  # per channel
    refused: Counter[str] = field(default_factory=Counter)  # out of stock, per channel
    cancelled: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    units: Counter[tuple[str, str]] = field(default_factory=Counter)  # (channel, sku) -> units sold
    order_ids: dict[str, list[Any]] = field(default_factory=dict)
    placed_at: list[float] = field(default_factory=list)  # time.time() of each accepted order


class Shopper:
    """Places orders at `rate` per second (across all channels) from `threads` threads."""

    def __init__(
        self,
        storefronts: dict[str, Storefront],
        *,
        skus: list[str] | dict[str, list[str]],
        rate: float = 1.0,
        lines: tuple[int, int] = (1, 3),
        quantity: tuple[int, int] = (1, 3),
        cancel_rate: float = 0.0,
        threads: int = 4,
        seed: int | None = None,
    ) -> None:
        if not storefronts:
            raise ValueError("no channel to shop on")
        # One list for every channel, or each channel's own (what it lists, as it spells it).
        self.skus = skus if isinstance(skus, dict) else {channel: list(skus) for channel in storefronts}
        if not all(self.skus.get(channel) for channel in storefronts):
            raise ValueError("no SKUs to buy")
        self.storefronts = storefronts
        self.rate = rate
        self.lines = lines
        self.quantity = quantity
        self.cancel_rate = cancel_rate
        self.threads = threads
        self.rng = random.Random(seed)
        self.stats = ShopperStats()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []

    def _basket(self) -> tuple[str, list[tuple[str, int]]]:
        with self._lock:
            channel = self.rng.choice(sorted(self.storefronts))
            skus = self.skus[channel]
            count = min(self.rng.randint(*self.lines), len(skus))
            chosen = self.rng.sample(skus, count)
            return channel, [(sku, self.rng.randint(*self.quantity)) for sku in chosen]

    def place_one(self) -> None:
        channel, basket = self._basket()
        front = self.storefronts[channel]
        try:
            order = front.place_order(basket)
        except OUT_OF_STOCK:
            with self._lock:
                self.stats.refused[channel] += 1
            return
        except Exception:
            with self._lock:
                self.stats.errors[channel] += 1
            return
        with self._lock:
            self.stats.placed[channel] += 1
            self.stats.placed_at.append(time.time())
            self.stats.order_ids.setdefault(channel, []).append(order.get("id"))
            for sku, qty in basket:
                self.stats.units[(channel, sku)] += qty
            cancel = self.cancel_rate and self.rng.random() < self.cancel_rate
        if cancel and order.get("id") is not None:
            try:
                front.cancel(order["id"])
            except Exception:
                with self._lock:
                    self.stats.errors[channel] += 1
                return
            with self._lock:
                self.stats.cancelled[channel] += 1
                for sku, qty in basket:
                    self.stats.units[(channel, sku)] -= qty

    def _work(self, deadline: float | None, budget: list[int]) -> None:
        interval = self.threads / self.rate if self.rate > 0 else 0
        next_at = time.monotonic()
        while not self._stop.is_set():
            if deadline is not None and time.monotonic() >= deadline:
                return
            with self._lock:
                if budget[0] == 0:
                    return
                if budget[0] > 0:
                    budget[0] -= 1
            self.place_one()
            next_at += interval
            delay = next_at - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)

    def run(self, *, duration: float | None = None, orders: int | None = None) -> ShopperStats:
        """Shop until `duration` seconds have passed or `orders` orders were attempted."""
        deadline = time.monotonic() + duration if duration else None
        budget = [orders if orders is not None else -1]
        self._workers = [
            threading.Thread(target=self._work, args=(deadline, budget), name=f"shopper-{i}", daemon=True)
            for i in range(self.threads)
        ]
        for worker in self._workers:
            worker.start()
        for worker in self._workers:
            worker.join()
        return self.stats

    def start(self, *, duration: float | None = None) -> threading.Thread:
        thread = threading.Thread(target=self.run, kwargs={"duration": duration}, name="shopper", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()
