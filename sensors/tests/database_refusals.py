"""Make the real test database refuse chosen rows, to test what the ingest does then.

Each engine says no in its own way (a trigger on SQLite, a CHECK constraint
on PostgreSQL and MariaDB); the ingest sees what it would see from any value
a database refuses: an error while the database still answers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connection

READING_TABLE = "sensors_sensorreading"
COMMAND_TABLE = "control_command"


@contextlib.contextmanager
def refusing_readings_with_temperature(value: float) -> Iterator[None]:
    """Inserts of a reading with this temperature fail while the block runs."""
    condition = f"{{row}}temperature = {value!r}"
    with _refusing(READING_TABLE, "INSERT", condition, "refused_temperature"):
        yield


@contextlib.contextmanager
def refusing_command_details_containing(text: str) -> Iterator[None]:
    """Updates that set a command's ``detail`` holding ``text`` fail while the block runs."""
    assert text.isalnum()
    if connection.vendor == "postgresql":
        condition = f"{{row}}detail::text LIKE '%{text}%'"
    elif connection.vendor == "mysql":
        condition = f"CAST({{row}}detail AS CHAR) LIKE '%{text}%'"
    else:
        condition = f"{{row}}detail LIKE '%{text}%'"
    with _refusing(COMMAND_TABLE, "UPDATE", condition, "refused_detail"):
        yield


@contextlib.contextmanager
def _refusing(table: str, operation: str, condition: str, name: str) -> Iterator[None]:
    """``condition`` names the row's columns as ``{row}column``."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"CREATE TRIGGER {name} BEFORE {operation} ON {table} "
                f"WHEN {condition.format(row='NEW.')} "
                f"BEGIN SELECT RAISE(ABORT, '{name}'); END"
            )
            drop = f"DROP TRIGGER {name}"
        else:
            # NOT VALID (PostgreSQL): rows already there are not checked.
            suffix = " NOT VALID" if connection.vendor == "postgresql" else ""
            check = condition.format(row="")
            cursor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK (NOT ({check})){suffix}"
            )
            drop = f"ALTER TABLE {table} DROP CONSTRAINT {name}"
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(drop)
