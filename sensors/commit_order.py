"""Reading ids in commit order, so a reader that has seen id N never finds a smaller one later.

``/api/sensors/stream`` resumes after ``Last-Event-ID`` by asking for the ids
above it (CONTRACT §3 v2: "without gaps or repeats"). That is exact only if no
transaction can still commit an id below one already visible. With several
ingest workers it could: worker A takes ids 101-200, worker B 201-300, B
commits first, a stream sends 201-300, then A commits 101-200 behind it.

So every write of readings holds one lock from before its first id is taken
until its commit: the ids of two writers never interleave, and the later
commit always holds the higher ids.

- SQLite: nothing to do. A write transaction holds the database's single
  write lock from ``BEGIN IMMEDIATE`` to its commit (settings.py).
- PostgreSQL: ``pg_advisory_xact_lock``, released by the commit or rollback.
- MariaDB/MySQL: ``GET_LOCK`` before the transaction, ``RELEASE_LOCK`` after
  it (it has no transaction-scoped named lock); a lost connection frees it.

The cost is that ingest workers write readings one at a time (they still
receive, validate and batch in parallel). Measured in bench/ingest.py (README).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import OperationalError, connection, transaction

#: Any constant both processes agree on; "AutoForge" in ASCII, as PostgreSQL wants a bigint.
_LOCK_KEY = 0x4175746F466F7267
_LOCK_NAME = "autoforge.sensor_reading.insert"
#: Seconds a MariaDB writer waits for the lock before the write counts as an outage.
LOCK_TIMEOUT_SECONDS = 60


@contextmanager
def readings_write_transaction() -> Iterator[None]:
    """``transaction.atomic()`` holding the readings' commit-order lock to the end."""
    vendor = connection.vendor
    if vendor == "mysql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT GET_LOCK(%s, %s)", [_LOCK_NAME, LOCK_TIMEOUT_SECONDS])
            (got,) = cursor.fetchone()
        if got != 1:
            # Read by sensors.write_errors as an outage: retried, never dead-lettered.
            raise OperationalError("lock wait timeout: another writer holds the readings lock")
        try:
            with transaction.atomic():
                yield
        finally:
            _mysql_release()
        return
    with transaction.atomic():
        if vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        yield


def _mysql_release() -> None:
    """Give the lock back; a connection that is gone has already freed it."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT RELEASE_LOCK(%s)", [_LOCK_NAME])
            cursor.fetchone()
    except Exception:
        connection.close()
