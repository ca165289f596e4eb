"""Indexes for the dashboard's pages at 100,000 items and 180,000 listings (issue 7; measured by
bench/dashboard_pages.py, whose README section has the figures).

- The items search is `UPPER(sku) LIKE '%term%' OR UPPER(name) LIKE '%term%' OR
  barcode_normalized = TERM`: without an index on every branch PostgreSQL reads every item twice
  per page (the paginator's COUNT and the page), about 80 ms each at 100,000 items. Trigram GIN
  indexes make both a bitmap scan. PostgreSQL only (SQLite has neither GIN nor pg_trgm; its
  embedded mode holds demo-sized data).
- Drifted listings are few: a partial index makes the overview's drift figure and the drift list
  instant instead of a scan of every listing (about 50 ms at 180,000).
- The listings page is sorted by SKU within the merchant (a sort of 180,000 rows otherwise).

They are plain SQL outside the models' state, so that the PostgreSQL-only ones need no model
field and makemigrations leaves them alone. Listing's indexes live here rather than in channels'
migrations only to keep this change in one file.
"""

from django.db import migrations

PORTABLE = {
    "listing_drift": "channels_listing (merchant_id) WHERE last_push_outcome = 'drift'",
    "listing_merchant_sku": "channels_listing (merchant_id, sku)",
}
POSTGRESQL = {
    "item_sku_trgm": "inventory_sync_item USING gin (UPPER(sku::text) gin_trgm_ops)",
    "item_name_trgm": "inventory_sync_item USING gin (UPPER(name::text) gin_trgm_ops)",
}


def create(apps, schema_editor):
    indexes = dict(PORTABLE)
    if schema_editor.connection.vendor == "postgresql":
        # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        indexes.update(POSTGRESQL)
    for name, definition in indexes.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def drop(apps, schema_editor):
    for name in [*PORTABLE, *POSTGRESQL]:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("inventory_sync", "0003_leases"),
        ("channels", "0008_push_rounds"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
