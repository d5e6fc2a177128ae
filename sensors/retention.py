"""Retention: deleting raw readings older than ``READINGS_RETENTION_DAYS``.

Only ``SensorReading`` rows go; the rollups are other tables and stay, so
aggregates and stats over old ranges still answer (CONTRACT §1 v2). Kept out
of ``services.py`` (the ingest's writes): nothing here runs in the ingest.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sensors.models import SensorReading

# Rows per DELETE: each is one short transaction, so the ingest's inserts
# and the API's reads wait for a moment at most. Tests lower it.
PRUNE_CHUNK_ROWS = 10_000


def retention_cutoff(*, days: int, now: datetime | None = None) -> datetime:
    """The moment before which readings are old enough to delete: ``days``
    before now, down to UTC midnight.

    Whole UTC days, so that every rollup period (minute, hour, day) is either
    all pruned or all kept: ``rebuild_rollups`` then recomputes exactly the
    periods whose readings are all still there, and keeps the others.
    """
    moment = (now or timezone.now()) - timedelta(days=days)
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def readings_prune(
    *,
    older_than: datetime,
    on_chunk: Callable[[int], None] | None = None,
) -> int:
    """Delete the readings with ``timestamp < older_than``, oldest first, in chunks.

    Each chunk is the next ``PRUNE_CHUNK_ROWS`` rows in ``(timestamp, id)``
    order, found by reading the index up to its last row and deleted by that
    range (``timestamp < older_than`` and ``(timestamp, id) <= last``): no
    list of ids to send, no OFFSET, and every DELETE walks the same index.
    ``on_chunk`` is told the rows each chunk deleted. Returns the total.
    """
    chunk_rows = PRUNE_CHUNK_ROWS
    old = SensorReading.objects.filter(timestamp__lt=older_than)
    total = 0
    while True:
        last = (
            old.order_by("timestamp", "id")
            .values_list("timestamp", "id")[chunk_rows - 1 : chunk_rows]
            .first()
        )
        chunk = old
        if last is not None:
            timestamp, reading_id = last
            chunk = old.filter(
                Q(timestamp__lt=timestamp) | Q(timestamp=timestamp, id__lte=reading_id)
            )
        with transaction.atomic():
            deleted, _ = chunk.delete()
        total += deleted
        if on_chunk is not None and deleted:
            on_chunk(deleted)
        if last is None:
            return total
