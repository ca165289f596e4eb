"""The demo merchant: created once, reused on every later run."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


# ------------------------------------------------------------------------------------------
# Connecting the demo merchant to the sandbox platforms


def _webhook_url(base: str, connection: Any) -> str:
    from django.urls import reverse

    return base.rstrip("/") + reverse(
        "webhook", kwargs={"platform": connection.kind, "connection_uuid": connection.uuid}
    )


def sandbox_quickbooks_credentials(
    qbo: dict[str, Any], *, expires_at: str | None = None, redirect_uri: str = ""
) -> dict[str, Any]:
    """A master connection's credentials for the sandbox QuickBooks that `qbo` describes (its entry
    in the sandbox's JSON config): the tokens it issued, its app's keys, and its discovery
    document as intuit-oauth's environment. An empty `expires_at` makes the first call refresh."""
    credentials = {
        "access_token": qbo["access_token"],
        "refresh_token": qbo["refresh_token"],
        "expires_at": qbo.get("expires_at", "") if expires_at is None else expires_at,
        "client_id": qbo["client_id"],
        "client_secret": qbo["client_secret"],
        "environment": qbo["base_url"] + "/.well-known/openid-configuration",
    }
    if redirect_uri:
        credentials["redirect_uri"] = redirect_uri
    return credentials


def connect_demo(*, merchant: Merchant, sandbox: dict[str, Any], hub_url: str, log: Any = print) -> None:
    """Connect the demo merchant to the running sandbox: QuickBooks as master, Shopify and
    WooCommerce with sync on; webhooks registered; items, customers and listings imported
    (exact codes matched); then every listing pushed. Safe to run on every start."""
    import requests

    from channels.adapters.base import AuthError, ChannelError
    from channels.connections import adapter_for, channel_adapter
    from channels.imports import run_import
    from channels.models import (
        Connection,
        ConnectionKind,
        ConnectionRole,
        ConnectionStatus,
        ImportKind,
        ImportRun,
        PostingMode,
    )
    from channels.push import mark_connection_dirty
    from inventory_sync.models import Customer

    qbo, shop, woo = sandbox["quickbooks"], sandbox["shopify"], sandbox["woocommerce"]

    def upsert(kind: str, role: str, name: str, **fields: Any) -> Connection:
        connection = Connection.objects.filter(merchant=merchant, kind=kind).order_by("pk").first()
        if connection is None:
            connection = Connection(merchant=merchant, kind=kind, role=role, name=name)
        for key, value in fields.items():
            setattr(connection, key, value)
        connection.status = ConnectionStatus.ACTIVE
        connection.save()
        return connection

    credentials = sandbox_quickbooks_credentials(
        qbo, redirect_uri=hub_url.rstrip("/") + "/connections/quickbooks/callback/"
    )
    token_keys = ("access_token", "refresh_token", "expires_at")
    sandbox_tokens = {key: credentials[key] for key in token_keys}
    existing = Connection.objects.filter(merchant=merchant, kind=ConnectionKind.QUICKBOOKS).first()
    kept = {k: v for k, v in ((existing.credentials if existing else {}) or {}).items() if k in token_keys}
    master = upsert(
        ConnectionKind.QUICKBOOKS,
        ConnectionRole.MASTER,
        "QuickBooks (sandbox)",
        base_url=qbo["base_url"],
        external_account_id=qbo["realm_id"],
        webhook_secret=qbo["webhook_verifier_token"],
        credentials={**credentials, **kept},  # tokens refreshed on an earlier run stay current
    )
    try:
        adapter_for(master).check_connection()
    except AuthError:
        # The sandbox was reset since the last run: its freshly issued tokens are the valid ones.
        master.credentials = {**master.credentials, **sandbox_tokens}
        master.status = ConnectionStatus.ACTIVE
        master.save(update_fields=["credentials", "status", "updated_at"])
    requests.post(
        qbo["base_url"] + "/_sandbox/webhook",
        json={"url": _webhook_url(hub_url, master), "format": "legacy"},
        timeout=10,
    ).raise_for_status()

    shopify = upsert(
        ConnectionKind.SHOPIFY,
        ConnectionRole.CHANNEL,
        "Shopify (sandbox)",
        base_url=shop["base_url"],
        external_account_id=shop["shop_domain"],
        credentials={"access_token": shop["access_token"]},
        webhook_secret=shop["api_secret"],
        posting_mode=PostingMode.PAYOUT_SUMMARY,
    )
    woocommerce = upsert(
        ConnectionKind.WOOCOMMERCE,
        ConnectionRole.CHANNEL,
        "WooCommerce (sandbox)",
        base_url=woo["base_url"],
        external_account_id=woo["base_url"].split("//")[-1],
        credentials={"consumer_key": woo["consumer_key"], "consumer_secret": woo["consumer_secret"]},
        webhook_secret=(
            Connection.objects.filter(merchant=merchant, kind=ConnectionKind.WOOCOMMERCE)
            .values_list("webhook_secret", flat=True)
            .first()
            or secrets.token_urlsafe(24)
        ),
        posting_mode=PostingMode.PER_ORDER_RECEIPT,
    )
    for channel in (shopify, woocommerce):
        try:
            channel_adapter(channel).register_webhooks(_webhook_url(hub_url, channel))
        except ChannelError as exc:
            log(f"  could not register {channel.name} webhooks: {exc}")

    def run(kind: str, connection: Connection) -> ImportRun:
        imported = run_import(
            ImportRun.objects.create(merchant=merchant, connection=connection, kind=kind).pk
        )
        log(
            f"  {imported.get_kind_display()} from {connection.name}: {imported.created} created, "
            f"{imported.updated} updated, {imported.unchanged} unchanged, {imported.skipped} skipped"
            + (f" ({imported.error})" if imported.error else "")
        )
        return imported

    run(ImportKind.MASTER_ITEMS, master)
    run(ImportKind.MASTER_CUSTOMERS, master)
    run(ImportKind.CHANNEL_LISTINGS, shopify)
    run(ImportKind.CHANNEL_LISTINGS, woocommerce)
    customers = dict(Customer.objects.for_merchant(merchant).values_list("display_name", "master_id"))
    for channel, customer in ((shopify, "Shopify Sales"), (woocommerce, "WooCommerce Sales")):
        if customer in customers and not channel.posting_customer_ref:
            channel.posting_customer_ref = customers[customer]
            channel.save(update_fields=["posting_customer_ref", "updated_at"])
        if not channel.sync_inventory:
            channel.sync_inventory = True
            channel.save(update_fields=["sync_inventory", "updated_at"])
            log(
                f"  inventory sync on for {channel.name}: {mark_connection_dirty(channel)} listing(s) to push"
            )
