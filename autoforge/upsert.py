"""One INSERT that merges into the rows already there: the SQL for each database.

The rollups and the device registry add what a batch of readings brings to
rows that may exist already (a count plus a count, the smaller of two
minima). Django's ``bulk_create(update_conflicts=True)`` can only overwrite a
column with the new value, so the statement is written here, once per row
count, in each database's dialect: ``ON CONFLICT ... DO UPDATE`` (PostgreSQL,
SQLite) or ``ON DUPLICATE KEY UPDATE`` (MariaDB/MySQL).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from django.db.backends.base.base import BaseDatabaseWrapper

#: How a column merges: ``add`` the new value to the old, keep the ``min`` or
#: the ``max`` of both, or keep the ``first`` value it ever had.
Rule = Literal["add", "min", "max", "first"]


def upsert_sql(
    connection: BaseDatabaseWrapper,
    *,
    table: str,
    key: Sequence[str],
    merge: Mapping[str, Rule],
    row_count: int,
) -> str:
    """INSERT of ``row_count`` rows of ``key`` + ``merge`` columns (in that order);
    a row whose key exists is merged into it column by column."""
    quote = connection.ops.quote_name
    columns = [*key, *merge]
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    insert = (
        f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES {', '.join([row] * row_count)}"
    )
    if connection.vendor == "mysql":
        sets = [
            f"{quote(c)} = {_merged(rule, quote(c), f'VALUES({quote(c)})', 'LEAST', 'GREATEST')}"
            for c, rule in merge.items()
        ]
        return f"{insert} ON DUPLICATE KEY UPDATE {', '.join(sets)}"
    smallest, largest = ("MIN", "MAX") if connection.vendor == "sqlite" else ("LEAST", "GREATEST")
    sets = [
        f"{quote(c)} = "
        f"{_merged(rule, f'{quote(table)}.{quote(c)}', f'excluded.{quote(c)}', smallest, largest)}"
        for c, rule in merge.items()
    ]
    conflict = ", ".join(quote(c) for c in key)
    return f"{insert} ON CONFLICT ({conflict}) DO UPDATE SET {', '.join(sets)}"


def _merged(rule: Rule, old: str, new: str, smallest: str, largest: str) -> str:
    # COALESCE: SQLite's MIN/MAX and MariaDB's LEAST/GREATEST give NULL when
    # either side is NULL (a registry row made before its first reading).
    if rule == "add":
        return f"COALESCE({old}, 0) + {new}"
    if rule == "min":
        return f"{smallest}(COALESCE({old}, {new}), {new})"
    if rule == "max":
        return f"{largest}(COALESCE({old}, {new}), {new})"
    if rule == "first":
        return f"COALESCE({old}, {new})"
    raise ValueError(f"unknown merge rule {rule!r}")


def upsert_rows(
    connection: BaseDatabaseWrapper,
    *,
    table: str,
    key: Sequence[str],
    merge: Mapping[str, Rule],
    rows: Sequence[Sequence[object]],
) -> None:
    """Merge ``rows`` (values of ``key`` then ``merge`` columns) into ``table``,
    as many rows a statement as the database takes (SQLite: 999 parameters)."""
    width = len(key) + len(merge)
    step = max(1, min(500, connection.ops.bulk_batch_size([None] * width, [None] * 500)))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            sql = upsert_sql(connection, table=table, key=key, merge=merge, row_count=len(chunk))
            cursor.execute(sql, [value for row in chunk for value in row])
