"""Connections to outside accounts and the channel listings the hub pushes stock to."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models

from inventory_sync.fields import EncryptedJSONField, EncryptedTextField
from inventory_sync.models import Item, MerchantOwned


class ConnectionKind(models.TextChoices):
    QUICKBOOKS = "quickbooks", "QuickBooks Online"
    SHOPIFY = "shopify", "Shopify"
    WOOCOMMERCE = "woocommerce", "WooCommerce"


class ConnectionRole(models.TextChoices):
    MASTER = "master", "Item master"
    CHANNEL = "channel", "Selling channel"


KIND_ROLE = {
    ConnectionKind.QUICKBOOKS: ConnectionRole.MASTER,
    ConnectionKind.SHOPIFY: ConnectionRole.CHANNEL,
    ConnectionKind.WOOCOMMERCE: ConnectionRole.CHANNEL,
}


class ConnectionStatus(models.TextChoices):
    PENDING = "pending", "Waiting for authorisation"
    ACTIVE = "active", "Active"
    NEEDS_ATTENTION = "needs_attention", "Needs attention"
    DISCONNECTED = "disconnected", "Disconnected"


class ProductCodeType(models.TextChoices):
    SKU = "sku", "SKU"
    BARCODE = "barcode", "Barcode"


class DriftPolicy(models.TextChoices):
    HUB_WINS = "hub_wins", "Hub wins: overwrite the channel"
    FLAG = "flag", "Flag for review"


class PostingMode(models.TextChoices):
    PAYOUT_SUMMARY = "payout_summary", "One summary sales receipt per payout"
    PER_ORDER_RECEIPT = "per_order_receipt", "One sales receipt per order"
    PER_ORDER_INVOICE = "per_order_invoice", "One invoice per order"
    NONE = "none", "Do not post sales"


class Connection(MerchantOwned):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=16, choices=ConnectionKind.choices)
    role = models.CharField(max_length=8, choices=ConnectionRole.choices)
    name = models.CharField(max_length=120)
    status = models.CharField(
        max_length=16, choices=ConnectionStatus.choices, default=ConnectionStatus.PENDING
    )
    base_url = models.URLField(
        max_length=300, help_text="API base: shop URL, store URL, or QuickBooks API host."
    )
    external_account_id = models.CharField(max_length=128, blank=True, help_text="Realm id or shop domain.")
    # Secrets (tokens, keys) and the webhook signing secret are encrypted at rest.
    credentials: Any = EncryptedJSONField(default=dict, blank=True)
    webhook_secret = EncryptedTextField(blank=True)

    # Settings (DESIGN.md sections 3 to 5).
    sync_inventory = models.BooleanField(
        default=False, help_text="Push the hub's quantities to this channel."
    )
    product_code_type = models.CharField(
        max_length=8, choices=ProductCodeType.choices, default=ProductCodeType.SKU
    )
    location_id = models.CharField(
        max_length=128, blank=True, help_text="Location or warehouse stock is pushed to."
    )
    buffer = models.PositiveIntegerField(default=0, help_text="Units held back from this channel.")
    percent = models.PositiveSmallIntegerField(default=100, help_text="Share of available stock to list.")
    max_listed = models.PositiveIntegerField(null=True, blank=True, help_text="Never list more than this.")
    zero_below = models.PositiveIntegerField(
        default=0, help_text="List 0 when fewer than this many are available."
    )
    drift_policy = models.CharField(max_length=10, choices=DriftPolicy.choices, default=DriftPolicy.HUB_WINS)
    posting_mode = models.CharField(
        max_length=20, choices=PostingMode.choices, default=PostingMode.PAYOUT_SUMMARY
    )
    posting_customer_ref = models.CharField(
        max_length=64, blank=True, help_text="Master customer for postings."
    )
    posting_fee_item_ref = models.CharField(
        max_length=64,
        blank=True,
        help_text="Master item for payout fees (negative line); empty: memo.",
    )
    posting_deposit_account_ref = models.CharField(
        max_length=64,
        blank=True,
        help_text="Master account sales are deposited to (clearing account).",
    )
    catchup_minutes = models.PositiveIntegerField(default=5)
    reconcile_minutes = models.PositiveIntegerField(default=15)

    # Cursors for catch-up reads.
    orders_cursor = models.DateTimeField(null=True, blank=True)
    cdc_cursor = models.DateTimeField(null=True, blank=True)
    payouts_cursor = models.CharField(max_length=64, blank=True)

    last_catchup_at = models.DateTimeField(null=True, blank=True)
    last_reconcile_at = models.DateTimeField(null=True, blank=True)
    last_cdc_at = models.DateTimeField(null=True, blank=True)
    last_postings_at = models.DateTimeField(null=True, blank=True)
    postings_minutes = models.PositiveIntegerField(default=15)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["role", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(percent__lte=100), name="percent_at_most_100"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def is_master(self) -> bool:
        return self.role == ConnectionRole.MASTER


class Listing(MerchantOwned):
    """A channel's product or variant: what the hub pushes quantities to."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="listings")
    external_id = models.CharField(
        max_length=128, help_text="Variant id (Shopify) or product[:variation] id."
    )
    external_product_id = models.CharField(max_length=64, blank=True)
    inventory_item_id = models.CharField(max_length=128, blank=True)
    location_id = models.CharField(max_length=128, blank=True)
    sku = models.CharField(max_length=128, blank=True)
    barcode = models.CharField(max_length=64, blank=True)
    title = models.CharField(max_length=255, blank=True)
    code_normalized = models.CharField(max_length=128, blank=True)
    tracked = models.BooleanField(default=True)
    item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.SET_NULL, related_name="listings")

    last_seen_qty = models.IntegerField(
        null=True, blank=True, help_text="The channel's quantity as last known."
    )
    last_seen_at = models.DateTimeField(null=True, blank=True)
    last_pushed_qty = models.IntegerField(null=True, blank=True)
    last_pushed_at = models.DateTimeField(null=True, blank=True)
    last_push_outcome = models.CharField(max_length=16, blank=True)
    last_push_error = models.TextField(blank=True)
    # Dirty marking: every stock change bumps dirty_seq; a push clears push_pending only if
    # dirty_seq is still what it read, so a change during a push is never lost.
    push_pending = models.BooleanField(default=False)
    dirty_seq = models.PositiveBigIntegerField(default=0)
    dirty_since = models.DateTimeField(null=True, blank=True)
    drift_qty = models.IntegerField(
        null=True, blank=True, help_text="Channel quantity seen when drift was found."
    )
    drift_detected_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["connection_id", "sku"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "external_id"], name="one_listing_per_channel_id"),
        ]
        indexes = [
            models.Index(fields=["connection", "push_pending"], name="listing_pending"),
            models.Index(fields=["connection", "code_normalized"], name="listing_code"),
            models.Index(fields=["item"], name="listing_item"),
        ]

    def __str__(self) -> str:
        return f"{self.sku or self.external_id} on {self.connection_id}"


class EventStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be processed"
    DONE = "done", "Processed"
    FAILED = "failed", "Failed"


class WebhookEvent(MerchantOwned):
    """The inbox: every verified webhook delivery, stored raw before anything is done with it.

    The unique (connection, delivery_key) drops duplicate deliveries; processing happens on a
    worker after the row commits, and a sweeper re-enqueues rows left pending (Redis down, a
    worker killed)."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="webhook_events")
    delivery_key = models.CharField(max_length=200)
    topic = models.CharField(max_length=120)
    headers = models.JSONField(default=dict)
    body = models.TextField()
    status = models.CharField(max_length=8, choices=EventStatus.choices, default=EventStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "delivery_key"], name="one_event_per_delivery"),
        ]
        indexes = [
            models.Index(fields=["connection", "status", "id"], name="event_queue"),
            models.Index(fields=["status", "received_at"], name="event_sweep"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.delivery_key}"


class ActivityKind(models.TextChoices):
    WEBHOOK = "webhook", "Webhook event"
    ORDERS_CATCHUP = "orders_catchup", "Orders catch-up"
    PUSH = "push", "Stock push"
    RECONCILE = "reconcile", "Reconcile"
    MASTER_REFRESH = "master_refresh", "Master refresh"
    POSTING = "posting", "Posting"
    IMPORT = "import", "Import"
    MATCHING = "matching", "Matching"
    CONNECTION = "connection", "Connection"


class Outcome(models.TextChoices):
    OK = "ok", "OK"
    WARNING = "warning", "Warning"
    ERROR = "error", "Error"


class Activity(MerchantOwned):
    """The activity log: what the hub did and what failed, with the platform's raw answer."""

    connection = models.ForeignKey(
        Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    kind = models.CharField(max_length=16, choices=ActivityKind.choices)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.OK)
    summary = models.CharField(max_length=300)
    details: Any = models.JSONField(default=dict, blank=True)
    payload = models.TextField(blank=True, help_text="The platform's raw answer or the event body.")
    webhook_event = models.ForeignKey(
        WebhookEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    resolved_at = models.DateTimeField(null=True, blank=True, help_text="An error that a later retry fixed.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["merchant", "-id"], name="activity_recent"),
            models.Index(fields=["merchant", "outcome", "resolved_at"], name="activity_open_errors"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.outcome}: {self.summary}"


class ImportKind(models.TextChoices):
    MASTER_ITEMS = "master_items", "Items from the master"
    MASTER_CUSTOMERS = "master_customers", "Customers from the master"
    CHANNEL_LISTINGS = "channel_listings", "Listings from a channel"
    CREATE_MASTER_ITEMS = "create_master_items", "Create missing master items from a channel"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ImportRun(MerchantOwned):
    """One run of a one-time import, with live progress and its result (kept as history)."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="import_runs")
    kind = models.CharField(max_length=24, choices=ImportKind.choices)
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    options: Any = models.JSONField(default=dict, blank=True)
    total = models.PositiveIntegerField(
        null=True, blank=True, help_text="Rows to go through, when known up front."
    )
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    skip_reasons: Any = models.JSONField(
        default=list, blank=True, help_text="[{ref, reason}], the first 1,000."
    )
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.status})"

    @property
    def percent(self) -> int | None:
        if not self.total:
            return 100 if self.status == RunStatus.DONE else None
        return min(100, round(100 * self.processed / self.total))


class PushRound(MerchantOwned):
    """One round of a push run: which changes it could see (everything committed before
    `read_at`) and when its writes were done. The sale-to-channel latency is measured from it."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="push_rounds")
    read_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    listings = models.PositiveIntegerField(default=0)
    written = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    drift = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    write_calls = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["connection", "read_at"], name="push_round_read")]

    def __str__(self) -> str:
        return f"push to {self.connection_id} at {self.read_at}"
