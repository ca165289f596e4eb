"""One-time imports (admins): master items and customers, channel listings, and creating the
master items that channels sell and the master lacks.

Each import is a job over an ImportRun row: it streams the platform page by page (never holding
more than a page), reports progress after each page, and ends with created / updated /
unchanged / skipped counts and the reason of each skip. Re-running an import updates instead of
duplicating: items are keyed by master id, listings by channel id, creations by a request id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from channels.activity import activity_record
from channels.adapters.base import (
    ChannelAdapter,
    ChannelError,
    ItemKind,
    MasterAdapter,
    NewMasterItem,
    PermanentChannelError,
)
from channels.connections import channel_adapter, master_adapter
from channels.listings import listing_code, listings_upsert
from channels.models import (
    ActivityKind,
    Connection,
    ConnectionRole,
    ConnectionStatus,
    ImportKind,
    ImportRun,
    Listing,
    Outcome,
    ProductCodeType,
    RunStatus,
)
from inventory_sync.models import Customer, Item
from inventory_sync.queueing import enqueue
from inventory_sync.services.items import items_upsert_from_master
from inventory_sync.services.postings import request_id_for

logger = logging.getLogger(__name__)

MAX_PAGES = 10_000
MAX_SKIP_REASONS = 1000
# The accounts QuickBooks requires on an item it is asked to create, by kind.
ACCOUNTS_NEEDED = {
    ItemKind.INVENTORY: (
        ("income_account_id", "an income account"),
        ("expense_account_id", "a cost of goods sold account"),
        ("asset_account_id", "an inventory asset account"),
    ),
    ItemKind.NON_INVENTORY: (("income_account_id", "an income account"),),
}


def import_start(
    *, connection: Connection, kind: str, user: Any = None, options: dict | None = None
) -> ImportRun:
    run = ImportRun.objects.create(
        merchant_id=connection.merchant_id,
        connection=connection,
        kind=kind,
        options=options or {},
        started_by=user if getattr(user, "pk", None) else None,
    )
    enqueue("channels.tasks.run_import", run.pk, queue="imports", job_id=f"import-{run.pk}", timeout=6 * 3600)
    return run


def _progress(
    run: ImportRun,
    *,
    processed: int = 0,
    created: int = 0,
    updated: int = 0,
    unchanged: int = 0,
    skips: Sequence[tuple[str, str]] = (),
) -> None:
    """Add a page's counts to the run, committed at once so the progress bar moves."""
    with transaction.atomic():
        ImportRun.objects.filter(pk=run.pk).update(
            processed=F("processed") + processed,
            created=F("created") + created,
            updated=F("updated") + updated,
            unchanged=F("unchanged") + unchanged,
            skipped=F("skipped") + len(skips),
        )
        if skips:
            locked = ImportRun.objects.select_for_update().get(pk=run.pk)
            room = MAX_SKIP_REASONS - len(locked.skip_reasons)
            if room > 0:
                locked.skip_reasons = [
                    *locked.skip_reasons,
                    *({"ref": ref, "reason": why} for ref, why in list(skips)[:room]),
                ]
                locked.save(update_fields=["skip_reasons"])


def run_import(run_id: int) -> ImportRun:
    run = ImportRun.objects.select_related("connection").get(pk=run_id)
    if run.status in (RunStatus.DONE, RunStatus.RUNNING):
        return run
    ImportRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING,
        started_at=timezone.now(),
        processed=0,
        created=0,
        updated=0,
        unchanged=0,
        skipped=0,
        skip_reasons=[],
        error="",
    )
    steps: dict[str, Callable[[ImportRun], None]] = {
        ImportKind.MASTER_ITEMS: _import_master_items,
        ImportKind.MASTER_CUSTOMERS: _import_customers,
        ImportKind.CHANNEL_LISTINGS: _import_listings,
        ImportKind.CREATE_MASTER_ITEMS: _create_master_items,
    }
    try:
        steps[run.kind](run)
    except ChannelError as exc:
        _fail(run, f"{exc}", exc.raw or "")
    except Exception as exc:
        logger.exception("import crashed", extra={"run": run.pk})
        _fail(run, f"{type(exc).__name__}: {exc}", "")
    else:
        ImportRun.objects.filter(pk=run.pk).update(status=RunStatus.DONE, finished_at=timezone.now())
        run.refresh_from_db()
        activity_record(
            merchant_id=run.merchant_id,
            connection=run.connection,
            kind=ActivityKind.IMPORT,
            summary=(
                f"{run.get_kind_display()} from {run.connection.name}: {run.created} created, "
                f"{run.updated} updated, {run.unchanged} unchanged, {run.skipped} skipped"
            ),
            details={"import": run.pk},
        )
    run.refresh_from_db()
    return run


def _fail(run: ImportRun, message: str, raw: str) -> None:
    ImportRun.objects.filter(pk=run.pk).update(
        status=RunStatus.FAILED, error=message, finished_at=timezone.now()
    )
    activity_record(
        merchant_id=run.merchant_id,
        connection=run.connection,
        kind=ActivityKind.IMPORT,
        outcome=Outcome.ERROR,
        summary=f"{run.get_kind_display()} from {run.connection.name} failed: {message}",
        payload=raw,
        details={"import": run.pk},
    )


# ------------------------------------------------------------------------------------------


def _import_master_items(run: ImportRun, adapter: MasterAdapter | None = None) -> None:
    adapter = adapter or master_adapter(run.connection)
    ImportRun.objects.filter(pk=run.pk).update(total=adapter.count_items())
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        page = adapter.fetch_items(cursor=cursor)
        result = items_upsert_from_master(
            merchant=run.merchant_id, externals=page.items, source=f"import {run.pk}"
        )
        _progress(
            run,
            processed=len(page.items),
            created=len(result.created),
            updated=len(result.updated),
            unchanged=len(result.unchanged),
            skips=result.skipped,
        )
        cursor = page.next_cursor
        if cursor is None:
            break


def _import_customers(run: ImportRun, adapter: MasterAdapter | None = None) -> None:
    adapter = adapter or master_adapter(run.connection)
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        page = adapter.fetch_customers(cursor=cursor)
        created = updated = unchanged = 0
        with transaction.atomic():
            existing = {
                c.master_id: c
                for c in Customer.objects.filter(
                    merchant_id=run.merchant_id, master_id__in=[c.external_id for c in page]
                )
            }
            for external in page.items:
                values = {
                    "display_name": external.display_name[:500],
                    "email": external.email[:254],
                    "active": external.active,
                }
                customer = existing.get(external.external_id)
                if customer is None:
                    Customer.objects.create(
                        merchant_id=run.merchant_id, master_id=external.external_id, **values
                    )
                    created += 1
                elif any(getattr(customer, k) != v for k, v in values.items()):
                    Customer.objects.filter(pk=customer.pk).update(**values)
                    updated += 1
                else:
                    unchanged += 1
        _progress(run, processed=len(page.items), created=created, updated=updated, unchanged=unchanged)
        cursor = page.next_cursor
        if cursor is None:
            break


def _import_listings(run: ImportRun, adapter: ChannelAdapter | None = None) -> None:
    adapter = adapter or channel_adapter(run.connection)
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        page = adapter.fetch_listings(cursor=cursor)
        # A listing without a product code can never be matched (nor pushed): say so, keep it out.
        coded = [external for external in page.items if listing_code(run.connection, external)]
        result = listings_upsert(connection=run.connection, externals=coded)
        kind = "barcode" if run.connection.product_code_type == ProductCodeType.BARCODE else "SKU"
        skips = [
            (
                external.external_id,
                f"{external.title or external.external_id}: no {kind} (the product code of this "
                "connection), so it cannot be matched",
            )
            for external in page.items
            if not listing_code(run.connection, external)
        ]
        _progress(
            run,
            processed=len(page.items),
            created=len(result.created),
            updated=len(result.updated),
            unchanged=len(result.unchanged),
            skips=skips,
        )
        cursor = page.next_cursor
        if cursor is None:
            break


def _create_master_items(run: ImportRun, adapter: MasterAdapter | None = None) -> None:
    """For each listing of the channel that no item matches, create the master item: Inventory
    only where the channel tracks quantity, otherwise NonInventory, with the accounts the admin
    picked; never a duplicate name (a name the master already has is skipped with the reason)."""
    master_connection = (
        Connection.objects.filter(
            merchant_id=run.merchant_id, role=ConnectionRole.MASTER, status=ConnectionStatus.ACTIVE
        )
        .order_by("pk")
        .first()
    )
    if master_connection is None:
        raise PermanentChannelError("connect the master (QuickBooks) before creating items in it")
    adapter = adapter or master_adapter(master_connection)
    options = run.options or {}
    listings = list(
        Listing.objects.filter(connection=run.connection, item__isnull=True)
        .exclude(code_normalized="")
        .order_by("pk")
    )
    ImportRun.objects.filter(pk=run.pk).update(total=len(listings))
    taken_names = {
        name.casefold() for name in Item.objects.for_merchant(run.merchant_id).values_list("name", flat=True)
    }
    for listing in listings:
        name = (listing.title or listing.sku)[:100]
        kind = ItemKind.INVENTORY if listing.tracked else ItemKind.NON_INVENTORY
        if name.casefold() in taken_names:
            _progress(run, processed=1, skips=[(listing.sku, f"a master item named {name!r} already exists")])
            continue
        missing = [label for key, label in ACCOUNTS_NEEDED[kind] if not str(options.get(key) or "").strip()]
        if missing:
            what = "inventory items" if kind == ItemKind.INVENTORY else "non-inventory items"
            _progress(
                run,
                processed=1,
                skips=[
                    (listing.sku, f"{name}: {what} need {' and '.join(missing)}: choose them and run again")
                ],
            )
            continue
        new = NewMasterItem(
            name=name,
            sku=listing.sku,
            kind=kind,
            description=listing.title,
            qty_on_hand=Decimal(listing.last_seen_qty or 0) if kind == ItemKind.INVENTORY else Decimal(0),
            income_account_id=str(options.get("income_account_id", "")),
            expense_account_id=str(options.get("expense_account_id", "")),
            asset_account_id=str(options.get("asset_account_id", "")),
            request_id=request_id_for("create-item", run.connection.uuid, listing.external_id),
        )
        try:
            external = adapter.create_item(new)
        except PermanentChannelError as exc:
            reason = f"the master refused {name!r}: {exc}"
            if exc.code == "6240":
                reason = f"a master item named {name!r} already exists"
            _progress(run, processed=1, skips=[(listing.sku, reason)])
            continue
        taken_names.add(name.casefold())
        items_upsert_from_master(merchant=run.merchant_id, externals=[external], source=f"import {run.pk}")
        _match_listing(run.connection, listing)
        _progress(run, processed=1, created=1)


def _match_listing(connection: Connection, listing: Listing) -> None:
    from mapping.services import resolve_codes

    resolved = resolve_codes(connection=connection, codes={listing.code_normalized})
    item_id = resolved.get(listing.code_normalized)
    if item_id:
        Listing.objects.filter(pk=listing.pk).update(item_id=item_id)
        if connection.sync_inventory:
            from channels.push import mark_listings_dirty

            mark_listings_dirty(connection=connection, listing_ids=[listing.pk])
