"""One UPDATE for many rows with different values: `UPDATE t SET ... FROM (VALUES ...) v`.

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
