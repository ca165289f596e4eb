"""The shop's state in memory, its indexes, the seed, and the stock rules every write shares.

Callers hold the platform lock. SKU lookups compare the way MySQL's default collation does
(case-insensitive, trailing spaces ignored), which is how `?sku=` and the SKU uniqueness check
behave on a real shop; a leading space, as on the seeded " BIN-LID-004", still matters.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from channels.sandbox.catalogue import woocommerce_products

from .models import Order, Product, Webhook, from_json, to_json

FIRST_POST_ID = 10
SEED_AGE = timedelta(days=30)


def sku_key(sku: str) -> str:
    return sku.rstrip().casefold()


def sanitize_title(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


class Store:
    def __init__(self, *, currency: str) -> None:
        self.currency = currency
        self.clear()

    def clear(self) -> None:
        self.products: dict[int, Product] = {}
        self.orders: dict[int, Order] = {}
        self.webhooks: dict[int, Webhook] = {}
        self.refund_orders: dict[int, int] = {}  # refund id -> order id
        self._sku_index: dict[str, int] = {}
        self._slugs: set[str] = set()
        self.next_post_id = FIRST_POST_ID
        self.next_item_id = 1
        self.next_webhook_id = 1

    # -- ids and indexes ---------------------------------------------------------------------

    def new_post_id(self) -> int:
        self.next_post_id += 1
        return self.next_post_id - 1

    def new_item_id(self) -> int:
        self.next_item_id += 1
        return self.next_item_id - 1

    def new_webhook_id(self) -> int:
        self.next_webhook_id += 1
        return self.next_webhook_id - 1

    def unique_slug(self, name: str, current: str = "") -> str:
        base = sanitize_title(name) or "product"
        slug, n = base, 2
        while slug in self._slugs and slug != current:
            slug, n = f"{base}-{n}", n + 1
        return slug

    def add_product(self, product: Product) -> None:
        self.products[product.id] = product
        self._slugs.add(product.slug)
        if product.sku:
            self._sku_index[sku_key(product.sku)] = product.id

    def remove_product(self, product: Product) -> None:
        self.products.pop(product.id, None)
        self._slugs.discard(product.slug)
        if product.sku and self._sku_index.get(sku_key(product.sku)) == product.id:
            del self._sku_index[sku_key(product.sku)]

    def reindex_sku(self, product: Product, old_sku: str) -> None:
        if old_sku and self._sku_index.get(sku_key(old_sku)) == product.id:
            del self._sku_index[sku_key(old_sku)]
        if product.sku:
            self._sku_index[sku_key(product.sku)] = product.id

    def product_by_sku(self, sku: str) -> Product | None:
        product_id = self._sku_index.get(sku_key(sku))
        return self.products.get(product_id) if product_id is not None else None

    def sku_taken(self, sku: str, by: int) -> int | None:
        """The id of another live product or variation that already has this SKU."""
        other = self.product_by_sku(sku)
        if other is None or other.id == by or other.status == "trash":
            return None
        return other.id

    def parent_of(self, product: Product) -> Product | None:
        return self.products.get(product.parent_id) if product.parent_id else None

    # -- stock rules -------------------------------------------------------------------------

    def stock_owner(self, product: Product) -> Product | None:
        """Whose stock an order line moves: the product, or for a variation that does not manage
        stock, a parent that does (manage_stock "parent")."""
        if product.manage_stock:
            return product
        parent = self.parent_of(product)
        if product.type == "variation" and parent is not None and parent.manage_stock:
            return parent
        return None

    def validate_stock_status(self, product: Product) -> None:
        """WC_Product::validate_props: a managed product's status follows its quantity."""
        if not product.manage_stock:
            return
        if (product.stock_quantity or 0) > 0:
            product.stock_status = "instock"
        elif product.backorders != "no":
            product.stock_status = "onbackorder"
        else:
            product.stock_status = "outofstock"

    def sync_variable(self, parent: Product) -> None:
        """WC_Product_Variable::sync: the parent's stock status follows its children."""
        if parent.type != "variable" or parent.manage_stock:
            return
        children = [self.products[v] for v in parent.variation_ids if v in self.products]
        statuses = {c.stock_status for c in children if c.status == "publish"}
        if "instock" in statuses:
            parent.stock_status = "instock"
        elif "onbackorder" in statuses:
            parent.stock_status = "onbackorder"
        else:
            parent.stock_status = "outofstock"

    def variable_price(self, parent: Product) -> str:
        prices = [
            float(self.products[v].price)
            for v in parent.variation_ids
            if v in self.products and self.products[v].price
        ]
        return f"{min(prices):.2f}" if prices else ""

    def stock_by_sku(self) -> dict[str, int]:
        return {
            p.sku: int(p.stock_quantity or 0)
            for p in self.products.values()
            if p.sku and p.manage_stock and p.status != "trash"
        }

    # -- seed and snapshots ------------------------------------------------------------------

    def seed(self, now: datetime) -> None:
        self.clear()
        when = now - SEED_AGE
        parents: dict[str, Product] = {}
        for item in woocommerce_products():
            product = Product(
                id=0,
                type="simple",
                name=item.title,
                slug="",
                date_created=when,
                date_modified=when,
                sku=item.sku,
                global_unique_id=item.barcode,
                regular_price=f"{item.price:.2f}",
                manage_stock=item.tracked,
                stock_quantity=item.qty if item.tracked else None,
            )
            if item.parent:
                parent = parents.get(item.parent)
                if parent is None:
                    parent = Product(
                        id=self.new_post_id(),
                        type="variable",
                        name=item.parent,
                        slug=self.unique_slug(item.parent),
                        date_created=when,
                        date_modified=when,
                        attributes=[],
                    )
                    parents[item.parent] = parent
                    self.add_product(parent)
                for name, option in item.attributes.items():
                    _add_attribute_option(parent, name, option)
                product.type = "variation"
                product.parent_id = parent.id
                product.name = f"{parent.name} - {', '.join(item.attributes.values())}"
                product.description = ""
                product.attributes = [{"id": 0, "name": k, "option": v} for k, v in item.attributes.items()]
                product.id = self.new_post_id()
                product.slug = self.unique_slug(product.name)
                parent.variation_ids.append(product.id)
            else:
                product.id = self.new_post_id()
                product.slug = self.unique_slug(product.name)
            self.validate_stock_status(product)
            self.add_product(product)
        for parent in parents.values():
            self.sync_variable(parent)

    def snapshot(self) -> dict[str, Any]:
        return {
            "products": [to_json(p) for p in self.products.values()],
            "orders": [to_json(o) for o in self.orders.values()],
            "webhooks": [to_json(w) for w in self.webhooks.values()],
            "next_post_id": self.next_post_id,
            "next_item_id": self.next_item_id,
            "next_webhook_id": self.next_webhook_id,
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.clear()
        for data in state.get("products", []):
            self.add_product(from_json(Product, data))
        for data in state.get("orders", []):
            order = from_json(Order, data)
            self.orders[order.id] = order
            for refund in order.refunds:
                self.refund_orders[refund.id] = order.id
        for data in state.get("webhooks", []):
            webhook = from_json(Webhook, data)
            self.webhooks[webhook.id] = webhook
        self.next_post_id = int(state.get("next_post_id", self.next_post_id))
        self.next_item_id = int(state.get("next_item_id", self.next_item_id))
        self.next_webhook_id = int(state.get("next_webhook_id", self.next_webhook_id))


def _add_attribute_option(parent: Product, name: str, option: str) -> None:
    for attribute in parent.attributes:
        if attribute["name"] == name:
            if option not in attribute["options"]:
                attribute["options"].append(option)
            return
    parent.attributes.append(
        {
            "id": 0,
            "name": name,
            "position": len(parent.attributes),
            "visible": True,
            "variation": True,
            "options": [option],
        }
    )


def new_order_key() -> str:
    return "wc_order_" + secrets.token_hex(7)[:13]
