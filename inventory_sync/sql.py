"""Writes of many rows that the ORM makes slow: one UPDATE for many rows with different values
(`UPDATE t SET ... FROM (VALUES ...) v`), and inserts of many new instances (`insert_objects`).

Django's bulk_update builds a CASE expression per field and row, which costs more Python time
than the database spends; this joins a VALUES list instead. PostgreSQL and SQLite (3.33+) both
support UPDATE ... FROM; they only name the VALUES columns differently.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone


def _adapt(value: Any) -> Any:
    """Values as the ORM would store them (SQLite keeps datetimes as text in Django's format)."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def update_from_values(
    model: type[Model],
    *,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[Any]],
    assignments: str,
    where: str,
    params: Sequence[Any] = (),
    where_params: Sequence[Any] = (),
    chunk: int = 1000,
) -> int:
    """Run `UPDATE <table> SET <assignments> FROM (VALUES rows) AS v(columns) WHERE <where>`.

    `columns` are (name, PostgreSQL type) pairs naming the VALUES columns; `assignments` and
    `where` refer to them as `v.<name>` and to the updated table as `{t}`. `params` fill
    placeholders in `assignments` (they come before the values), `where_params` those in `where`.
    Returns the rows updated.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    names = [name for name, _ in columns]
    updated = 0
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        if connection.vendor == "postgresql":
            row_sql = "(" + ", ".join(f"%s::{kind}" for _, kind in columns) + ")"
            values = f"(VALUES {', '.join([row_sql] * len(part))}) AS v({', '.join(names)})"
            target = "t"
        else:
            # SQLite names VALUES columns column1, column2, ...: select them under our names.
            row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
            renamed = ", ".join(f"column{i + 1} AS {name}" for i, name in enumerate(names))
            values = f"(SELECT {renamed} FROM (VALUES {', '.join([row_sql] * len(part))})) AS v"  # noqa: S608
            target = table
        alias = " AS t" if connection.vendor == "postgresql" else ""
        sql_assignments, sql_where = assignments.format(t=target), where.format(t=target)
        flat = [_adapt(value) for row in part for value in row]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table}{alias} SET {sql_assignments} FROM {values} WHERE {sql_where}",  # noqa: S608
                [*map(_adapt, params), *flat, *map(_adapt, where_params)],
            )
            updated += cursor.rowcount
    return updated


# Field types whose Python values psycopg writes as Django would store them (aware datetimes with
# USE_TZ, Decimals, ints, strings, booleans, UUIDs). Any other field goes through Django's own
# get_db_prep_save.
_PASSTHROUGH = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "DateTimeField",
        "DecimalField",
        "ForeignKey",
        "IntegerField",
        "OneToOneField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "TextField",
        "UUIDField",
    }
)


def insert_objects(objects: Sequence[Model]) -> None:
    """Insert new instances of one model and set their primary keys, as `bulk_create` does.

    On PostgreSQL: one `nextval` query for the keys and one `COPY ... FROM STDIN` for the rows.
    `bulk_create` spends most of its time preparing every value of every row in Python (a batch
    of 200 three-line orders writes 1,800 rows of lines, reservations and ledger entries); COPY
    writes the values as they are. Constraints and deferred foreign keys apply as for INSERT.
    Elsewhere (SQLite) it is `bulk_create`.
    """
    if not objects:
        return
    model = type(objects[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objects)
        return
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    assert pk.column is not None
    fields = [f for f in meta.concrete_fields if f is not pk]
    stamped = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    if stamped:
        now = timezone.now()
        for obj in objects:
            for f in stamped:
                setattr(obj, f.attname, now)
    passthrough = [f.get_internal_type() in _PASSTHROUGH for f in fields]
    attnames = [f.attname for f in fields]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(str(c)) for c in [pk.column, *(f.column for f in fields)])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, pk.column, len(objects)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        copy_sql = f"COPY {table} ({columns}) FROM STDIN"
        with connection.wrap_database_errors, cursor.cursor.copy(copy_sql) as copy:
            for obj, new_id in zip(objects, ids, strict=True):
                row: list[Any] = [new_id]
                for field, name, plain in zip(fields, attnames, passthrough, strict=True):
                    value = getattr(obj, name)
                    row.append(value if plain else field.get_db_prep_save(value, connection))
                copy.write_row(row)
    for obj, new_id in zip(objects, ids, strict=True):
        obj.pk = new_id
        obj._state.adding = False
        obj._state.db = connection.alias
