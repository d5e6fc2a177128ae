"""The writes of the sensors app: readings, dead letters and worker heartbeats.

Called from ``mqtt_ingest``'s main thread (never from paho's network thread).
Each function is one unit of database work: it commits before it returns, or
raises and leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Max, Min, Sum
from django.utils import timezone

from alarms.evaluation import readings_evaluate
from devices import services as devices_services
from devices.services import devices_record
from sensors.commit_order import readings_write_transaction
from sensors.messages import RejectedMessage, StoreResult
from sensors.models import DeadLetter, IngestWorker, ReadingRollup, SensorReading
from sensors.reading_insert import ReadingInsert
from sensors.rollups import DAY, rollups_add, rollups_rebuild_device, rollups_rebuild_fleet
from sensors.validation import Reading

_reading_insert: ReadingInsert | None = None


def readings_store(*, readings: Sequence[Reading]) -> StoreResult:
    """Store ``readings`` in one transaction, with what they add to the device
    registry and the rollups; a (device_id, timestamp) already stored, or
    repeated inside ``readings``, is skipped and counted as a duplicate."""
    global _reading_insert
    if not readings:
        return StoreResult(stored=0, duplicates=0)
    if _reading_insert is None:
        _reading_insert = ReadingInsert(connection)
    created_at = timezone.now()
    # Ids in commit order (sensors.commit_order): what /api/sensors/stream resumes on.
    with readings_write_transaction():
        stored = _readings_insert(_reading_insert, readings, created_at)
        if stored:
            # Alarms read the registry as it was before this batch (a late
            # reading moves no alarm), so they go first.
            readings_evaluate(readings=stored, now=created_at)
            # The registry first, then the rollups: every writer takes the
            # locks in this order (rebuild_rollups too), so none deadlocks.
            devices_record(
                readings=((r.device_id, r.timestamp) for r in stored), seen_at=created_at
            )
            rollups_add(readings=stored)
    return StoreResult(stored=len(stored), duplicates=len(readings) - len(stored))


def _readings_insert(
    insert: ReadingInsert, readings: Sequence[Reading], created_at: datetime
) -> Sequence[Reading]:
    """Insert ``readings``; returns those that were new.

    The usual batch has no duplicate and goes in with the plain INSERT; one
    that had (the INSERT stored fewer rows than it was given) is undone to a
    savepoint and inserted again with RETURNING, which names the new rows.
    """
    savepoint = transaction.savepoint()
    if insert.execute(readings, created_at=created_at) == len(readings):
        transaction.savepoint_commit(savepoint)
        return readings
    transaction.savepoint_rollback(savepoint)
    return insert.execute_returning(readings, created_at=created_at)


def device_derived_rebuild(*, device_id: str) -> int:
    """Recompute one device's rollups and registry row from its readings, in
    one transaction that holds the registry row, so that it is safe while the
    ingest runs (a worker storing readings of the device waits, then adds to
    the rebuilt rows). Returns the rollup rows written."""
    with transaction.atomic():
        device = devices_services.device_lock(device_id=device_id)
        rows = rollups_rebuild_device(device_id=device_id)
        raw = SensorReading.objects.filter(device_id=device_id).aggregate(
            first=Min("created_at"), last=Max("created_at"), latest=Max("timestamp")
        )
        total = ReadingRollup.objects.filter(device_id=device_id, period=DAY).aggregate(
            count=Sum("count")
        )
        devices_services.device_set_counts(
            device=device,
            reading_count=total["count"] or 0,
            first_seen=raw["first"],
            last_seen=raw["last"],
            latest_timestamp=raw["latest"],
        )
    return rows


def fleet_rollups_rebuild() -> int:
    """Recompute the fleet's rollup rows from the devices' (after ``device_derived_rebuild``
    of each), holding the readings' write lock: safe while the ingest runs, which
    waits meanwhile. Returns the rows written."""
    with readings_write_transaction():
        return rollups_rebuild_fleet()


def _printable(payload: bytes, limit: int) -> str:
    """The payload as text for the admin: undecodable bytes and NUL escaped
    (PostgreSQL text cannot hold NUL), cut at ``limit`` characters."""
    text = payload[: limit * 4].decode("utf-8", errors="backslashreplace")
    text = text.replace("\x00", "\\x00")
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def dead_letter_record(*, rejected: Sequence[RejectedMessage], max_rows: int) -> int:
    """Keep ``rejected`` messages (payload truncated), then prune the oldest
    rows beyond ``max_rows``. One transaction. Returns how many were pruned."""
    if not rejected:
        return 0
    topic_max = DeadLetter._meta.get_field("topic").max_length
    reason_max = DeadLetter._meta.get_field("reason").max_length
    rows = [
        DeadLetter(
            topic=_printable(message.topic.encode("utf-8", "backslashreplace"), topic_max),
            payload=_printable(message.payload, DeadLetter.PAYLOAD_MAX_CHARS),
            payload_size=len(message.payload),
            reason=_printable(message.reason.encode("utf-8", "backslashreplace"), reason_max),
            received_at=message.received_at,
        )
        for message in rejected
    ]
    with transaction.atomic():
        DeadLetter.objects.bulk_create(rows)
        # Ids grow with insertion, so "oldest" is "smallest id"; the first id
        # past the newest ``max_rows`` is the pruning threshold.
        beyond = list(
            DeadLetter.objects.order_by("-id").values_list("id", flat=True)[max_rows : max_rows + 1]
        )
        if not beyond:
            return 0
        pruned, _ = DeadLetter.objects.filter(id__lte=beyond[0]).delete()
    return pruned


@dataclass(slots=True)
class WorkerStatus:
    """What one ingest process reports about itself."""

    client_id: str
    hostname: str
    pid: int
    started_at: datetime
    connected: bool = False
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    pending: int = 0
    failing_since: datetime | None = None
    last_error: str = ""


def worker_heartbeat(*, status: WorkerStatus, now: datetime | None = None) -> IngestWorker:
    """Record ``status`` as the worker's row (one per client id)."""
    worker, _ = IngestWorker.objects.update_or_create(
        client_id=status.client_id,
        defaults={
            "hostname": status.hostname[:255],
            "pid": status.pid,
            "connected": status.connected,
            "started_at": status.started_at,
            "last_heartbeat": now or timezone.now(),
            "received": status.received,
            "stored": status.stored,
            "duplicates": status.duplicates,
            "rejected": status.rejected,
            "pending": status.pending,
            "failing_since": status.failing_since,
            "last_error": status.last_error,
        },
    )
    return worker
