"""Tell a write that failed because the database is out of reach from one the data caused.

The ingest retries the first kind without end (CONTRACT §2: "only an outage
(connection lost, database locked) is retried without end") and gives each
message of the second kind three tries before it is dead-lettered. Drivers do
not say which kind an error is in one consistent way (PyMySQL reports an
invalid JSON value as an ``OperationalError``, SQLite a missing table too), so
the test is the database itself: after the failure, does it still answer?
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, ProgrammingError, connection

logger = logging.getLogger(__name__)

# Messages of errors that waiting mends, whatever the driver calls them.
_TRANSIENT_MARKERS = (
    "database is locked",  # SQLite, past its busy timeout
    "database table is locked",
    "lock wait timeout",  # MySQL/MariaDB 1205
    "deadlock",  # MySQL 1213, PostgreSQL 40P01
    "could not serialize access",  # PostgreSQL 40001
    "could not obtain lock",
    "disk is full",
    "no space left",
    "read-only",  # a replica promoted, a file system remounted
    "readonly",  # SQLite: "attempt to write a readonly database"
)
# The schema is not what the code expects (migrations not applied): the
# messages are not at fault, so they wait for an operator instead of being
# dead-lettered one after another.
_SCHEMA_MARKERS = ("no such table", "no such column", "doesn't exist", "does not exist")


def write_error_is_outage(error: BaseException) -> bool:
    """True when ``error`` comes from the database being out of reach (or
    locked, or without its schema), so the same write may succeed later."""
    if not isinstance(error, DatabaseError):
        return False  # a driver's encoding error, a value Python cannot convert
    message = str(error).lower()
    if any(marker in message for marker in _TRANSIENT_MARKERS):
        return True
    if isinstance(error, ProgrammingError) or any(m in message for m in _SCHEMA_MARKERS):
        return True
    return not database_answers()


def database_answers() -> bool:
    """Whether the default database answers a trivial query right now."""
    try:
        connection.close_if_unusable_or_obsolete()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        logger.debug("The database does not answer: %s", error)
        return False
    return True
