"""REST JSON of products, variations, orders, refunds and webhooks, field for field as the wc/v3
controllers prepare them (prepare_object_for_response / get_formatted_item_data).

Fields the sandbox does not model (images, categories beyond "Uncategorized", taxes, shipping
lines, coupons) are present with the values an untouched shop shows, so clients that read them
do not trip over missing keys.
"""

from __future__ import annotations

from typing import Any

from .models import LineItem, Order, Product, Refund, Webhook
from .store import Store
from .wp import WC_VERSION, money, wp_date

API = "/wp-json/wc/v3"
UNCATEGORIZED = {"id": 15, "name": "Uncategorized", "slug": "uncategorized"}
BILLING_KEYS = (
    "first_name",
    "last_name",
    "company",
    "address_1",
    "address_2",
    "city",
    "state",
    "postcode",
    "country",
    "email",
    "phone",
)
SHIPPING_KEYS = (
    "first_name",
    "last_name",
    "company",
    "address_1",
    "address_2",
    "city",
    "state",
    "postcode",
    "country",
    "phone",
)
TOPIC_HOOKS = {
    "order.created": ["woocommerce_new_order"],
    "order.updated": [
        "woocommerce_update_order",
        "woocommerce_order_refunded",
        "woocommerce_delete_order_refund",
    ],
    "order.deleted": ["wp_trash_post", "woocommerce_trash_order"],
    "order.restored": ["untrashed_post", "woocommerce_untrash_order"],
    "product.created": [
        "woocommerce_process_product_meta",
        "woocommerce_new_product",
        "woocommerce_new_product_variation",
    ],
    "product.updated": [
        "woocommerce_process_product_meta",
        "woocommerce_update_product",
        "woocommerce_update_product_variation",
    ],
    "product.deleted": ["wp_trash_post"],
    "product.restored": ["untrashed_post"],
    "coupon.created": ["woocommerce_process_shop_coupon_meta", "woocommerce_new_coupon"],
    "coupon.updated": ["woocommerce_process_shop_coupon_meta", "woocommerce_update_coupon"],
    "coupon.deleted": ["wp_trash_post"],
    "coupon.restored": ["untrashed_post"],
    "customer.created": ["user_register", "woocommerce_created_customer", "woocommerce_new_customer"],
    "customer.updated": ["profile_update", "woocommerce_update_customer"],
    "customer.deleted": ["delete_user"],
}


def _links(site: str, path: str, collection: str, up: str | None = None) -> dict[str, Any]:
    links: dict[str, Any] = {
        "self": [{"href": f"{site}{API}{path}"}],
        "collection": [{"href": f"{site}{API}{collection}"}],
    }
    if up:
        links["up"] = [{"href": f"{site}{API}{up}"}]
    return links


def _price_html(price: str) -> str:
    if not price:
        return ""
    return (
        '<span class="woocommerce-Price-amount amount"><bdi><span class="woocommerce-Price-currencySymbol">'
        f"&#36;</span>{float(price):.2f}</bdi></span>"
    )


def _permalink(store: Store, product: Product, site: str) -> str:
    parent = store.parent_of(product)
    if product.type == "variation" and parent is not None:
        query = "&".join(f"attribute_{a['name'].lower()}={a['option']}" for a in product.attributes)
        return f"{site}/product/{parent.slug}/?{query}"
    return f"{site}/product/{product.slug}/"


def _stock_fields(store: Store, product: Product) -> dict[str, Any]:
    owner = store.stock_owner(product)
    manage: bool | str = product.manage_stock
    if owner is not None and owner is not product:
        manage = "parent"
    return {
        "manage_stock": manage,
        "stock_quantity": owner.stock_quantity if owner is not None else None,
        "stock_status": product.stock_status,
        "backorders": product.backorders,
        "backorders_allowed": product.backorders != "no",
        "backordered": owner is not None and product.stock_status == "onbackorder",
        "low_stock_amount": product.low_stock_amount,
    }


def product_json(store: Store, product: Product, site: str) -> dict[str, Any]:
    """/products/<id>: also what a product.* webhook carries, for a variation too."""
    price = store.variable_price(product) if product.type == "variable" else product.price
    created, modified = wp_date(product.date_created), wp_date(product.date_modified)
    return {
        "id": product.id,
        "name": product.name,
        "slug": product.slug,
        "permalink": _permalink(store, product, site),
        "date_created": created,
        "date_created_gmt": created,
        "date_modified": modified,
        "date_modified_gmt": modified,
        "type": product.type,
        "status": product.status,
        "featured": product.featured,
        "catalog_visibility": product.catalog_visibility,
        "description": product.description,
        "short_description": product.short_description,
        "sku": product.sku,
        "global_unique_id": product.global_unique_id,
        "price": price,
        "regular_price": "" if product.type == "variable" else product.regular_price,
        "sale_price": "" if product.type == "variable" else product.sale_price,
        "date_on_sale_from": None,
        "date_on_sale_from_gmt": None,
        "date_on_sale_to": None,
        "date_on_sale_to_gmt": None,
        "price_html": _price_html(price),
        "on_sale": bool(product.sale_price),
        "purchasable": bool(price) and product.status == "publish",
        "total_sales": product.total_sales,
        "virtual": product.virtual,
        "downloadable": product.downloadable,
        "downloads": [],
        "download_limit": -1,
        "download_expiry": -1,
        "external_url": "",
        "button_text": "",
        "tax_status": product.tax_status,
        "tax_class": product.tax_class,
        **_stock_fields(store, product),
        "sold_individually": product.sold_individually,
        "weight": product.weight,
        "dimensions": {"length": "", "width": "", "height": ""},
        "shipping_required": not product.virtual,
        "shipping_taxable": product.tax_status in ("taxable", "shipping"),
        "shipping_class": "",
        "shipping_class_id": 0,
        "reviews_allowed": True,
        "average_rating": "0.00",
        "rating_count": 0,
        "upsell_ids": [],
        "cross_sell_ids": [],
        "parent_id": product.parent_id,
        "purchase_note": "",
        "categories": [] if product.type == "variation" else [UNCATEGORIZED],
        "brands": [],
        "tags": [],
        "images": [],
        "attributes": [dict(a) for a in product.attributes],
        "default_attributes": [],
        "variations": list(product.variation_ids),
        "grouped_products": [],
        "menu_order": product.menu_order,
        "related_ids": [],
        "meta_data": list(product.meta_data),
        "has_options": product.type == "variable",
        "post_password": "",
        "_links": _links(site, f"/products/{product.id}", "/products"),
    }


def variation_json(store: Store, variation: Product, site: str) -> dict[str, Any]:
    """/products/<parent>/variations/<id>."""
    created, modified = wp_date(variation.date_created), wp_date(variation.date_modified)
    base = f"/products/{variation.parent_id}"
    return {
        "id": variation.id,
        "type": "variation",
        "date_created": created,
        "date_created_gmt": created,
        "date_modified": modified,
        "date_modified_gmt": modified,
        "description": variation.description,
        "permalink": _permalink(store, variation, site),
        "sku": variation.sku,
        "global_unique_id": variation.global_unique_id,
        "price": variation.price,
        "regular_price": variation.regular_price,
        "sale_price": variation.sale_price,
        "date_on_sale_from": None,
        "date_on_sale_from_gmt": None,
        "date_on_sale_to": None,
        "date_on_sale_to_gmt": None,
        "on_sale": bool(variation.sale_price),
        "status": variation.status,
        "purchasable": bool(variation.price) and variation.status == "publish",
        "virtual": variation.virtual,
        "downloadable": variation.downloadable,
        "downloads": [],
        "download_limit": -1,
        "download_expiry": -1,
        "tax_status": variation.tax_status,
        "tax_class": variation.tax_class,
        **_stock_fields(store, variation),
        "weight": variation.weight,
        "dimensions": {"length": "", "width": "", "height": ""},
        "shipping_class": "",
        "shipping_class_id": 0,
        "image": None,
        "attributes": [dict(a) for a in variation.attributes],
        "menu_order": variation.menu_order,
        "meta_data": list(variation.meta_data),
        "name": variation.name,
        "parent_id": variation.parent_id,
        "_links": _links(site, f"{base}/variations/{variation.id}", f"{base}/variations", base),
    }


def _line_item_json(item: LineItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "name": item.name,
        "product_id": item.product_id,
        "variation_id": item.variation_id,
        "quantity": item.quantity,
        "tax_class": "",
        "subtotal": money(item.subtotal),
        "subtotal_tax": "0.00",
        "total": money(item.total),
        "total_tax": "0.00",
        "taxes": [],
        "meta_data": [],
        "sku": item.sku,
        "global_unique_id": "",
        "price": round(item.total / item.quantity, 4) if item.quantity else 0.0,
        "image": {"id": "", "src": ""},
        "parent_name": item.parent_name,
    }


def order_json(order: Order, site: str) -> dict[str, Any]:
    created, modified = wp_date(order.date_created), wp_date(order.date_modified)
    paid, completed = wp_date(order.date_paid), wp_date(order.date_completed)
    needs_payment = order.status in ("pending", "failed") and order.total > 0
    return {
        "id": order.id,
        "parent_id": 0,
        "status": order.status,
        "currency": order.currency,
        "version": WC_VERSION,
        "prices_include_tax": False,
        "date_created": created,
        "date_modified": modified,
        "discount_total": "0.00",
        "discount_tax": "0.00",
        "shipping_total": "0.00",
        "shipping_tax": "0.00",
        "cart_tax": "0.00",
        "total": money(order.total),
        "total_tax": "0.00",
        "customer_id": order.customer_id,
        "order_key": order.order_key,
        "billing": {k: order.billing.get(k, "") for k in BILLING_KEYS},
        "shipping": {k: order.shipping.get(k, "") for k in SHIPPING_KEYS},
        "payment_method": order.payment_method,
        "payment_method_title": order.payment_method_title,
        "transaction_id": order.transaction_id,
        "customer_ip_address": "",
        "customer_user_agent": "",
        "created_via": order.created_via,
        "customer_note": order.customer_note,
        "date_completed": completed,
        "date_paid": paid,
        "cart_hash": "",
        "number": str(order.id),
        "meta_data": list(order.meta_data),
        "line_items": [_line_item_json(item) for item in order.line_items],
        "tax_lines": [],
        "shipping_lines": [],
        "fee_lines": [],
        "coupon_lines": [],
        "refunds": [
            {"id": r.id, "reason": r.reason, "total": money(-r.amount)} for r in reversed(order.refunds)
        ],
        "payment_url": f"{site}/checkout/order-pay/{order.id}/?pay_for_order=true&key={order.order_key}",
        "is_editable": order.status in ("pending", "on-hold", "auto-draft", "checkout-draft"),
        "needs_payment": needs_payment,
        "needs_processing": True,
        "date_created_gmt": created,
        "date_modified_gmt": modified,
        "date_completed_gmt": completed,
        "date_paid_gmt": paid,
        "currency_symbol": "$" if order.currency == "USD" else order.currency,
        "_links": _links(site, f"/orders/{order.id}", "/orders"),
    }


def refund_json(order: Order, refund: Refund, site: str) -> dict[str, Any]:
    created = wp_date(refund.date_created)
    base = f"/orders/{order.id}"
    return {
        "id": refund.id,
        "date_created": created,
        "date_created_gmt": created,
        "amount": money(refund.amount),
        "reason": refund.reason,
        "refunded_by": 1,
        "refunded_payment": refund.refunded_payment,
        "meta_data": [],
        "line_items": [
            {
                "id": line["id"],
                "name": line["name"],
                "product_id": line["product_id"],
                "variation_id": line["variation_id"],
                "quantity": -line["quantity"],
                "tax_class": "",
                "subtotal": money(-line["total"]),
                "subtotal_tax": "0.00",
                "total": money(-line["total"]),
                "total_tax": "0.00",
                "taxes": [],
                "meta_data": [
                    {
                        "id": line["id"],
                        "key": "_refunded_item_id",
                        "value": str(line["refunded_item_id"]),
                        "display_key": "_refunded_item_id",
                        "display_value": str(line["refunded_item_id"]),
                    }
                ],
                "sku": line["sku"],
                "global_unique_id": "",
                "price": -round(line["total"] / line["quantity"], 4) if line["quantity"] else 0.0,
                "image": {"id": "", "src": ""},
                "parent_name": None,
            }
            for line in refund.line_items
        ],
        "shipping_lines": [],
        "tax_lines": [],
        "fee_lines": [],
        "_links": _links(site, f"{base}/refunds/{refund.id}", f"{base}/refunds", base),
    }


def webhook_json(webhook: Webhook, site: str, *, edit: bool = False) -> dict[str, Any]:
    created, modified = wp_date(webhook.date_created), wp_date(webhook.date_modified)
    data: dict[str, Any] = {
        "id": webhook.id,
        "name": webhook.name,
        "status": webhook.status,
        "topic": webhook.topic,
        "resource": webhook.resource,
        "event": webhook.event,
        "hooks": TOPIC_HOOKS.get(webhook.topic, [webhook.event] if webhook.resource == "action" else []),
        "delivery_url": webhook.delivery_url,
        "date_created": created,
        "date_created_gmt": created,
        "date_modified": modified,
        "date_modified_gmt": modified,
    }
    if edit:
        data["secret"] = webhook.secret
    data["_links"] = _links(site, f"/webhooks/{webhook.id}", "/webhooks")
    return data


def only_fields(data: dict[str, Any], fields: Any) -> dict[str, Any]:
    """The `_fields=` parameter: top-level keys only, `id` always kept, `_links` on request."""
    if not fields:
        return data
    wanted = {
        f.strip().split(".")[0] for f in (fields if isinstance(fields, list) else str(fields).split(","))
    }
    wanted.add("id")
    return {k: v for k, v in data.items() if k in wanted}
