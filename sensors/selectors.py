"""The reads behind the API: readings, their aggregates, and the ingest's status.

Every query is shaped for the indexes of ``SensorReading`` (see its ``Meta``):
with a device filter, ``(device_id, timestamp)`` read backwards; without,
``(timestamp, id)`` read backwards. Nothing here counts the whole table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import NamedTuple

import numpy as np
from django.db import connection
from django.db.models import Avg, Count, Q, QuerySet, TextField
from django.db.models.functions import Cast

from sensors.models import IngestWorker, SensorReading

READING_FIELDS = (
    "id",
    "device_id",
    "temperature",
    "vibration",
    "gas",
    "power",
    "timestamp",
    "created_at",
)


def rows_fetch(sql: str, params: Sequence) -> list[tuple]:
    """The rows of ``sql`` as the driver gives them, on Django's connection.

    For reads whose ORM form costs more than the query: building a
    13-column aggregate takes the ORM about 1.5 ms (25 times the query), and
    its per-value converters and model instances cost more than fetching a
    page of devices or a day of minute rollups.
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def readings_filtered(
    *,
    device_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[SensorReading]:
    """Readings of one device (or all), ``since`` inclusive, ``until`` exclusive."""
    readings = SensorReading.objects.all()
    if device_id is not None:
        readings = readings.filter(device_id=device_id)
    if since is not None:
        readings = readings.filter(timestamp__gte=since)
    if until is not None:
        readings = readings.filter(timestamp__lt=until)
    return readings


def readings_newest_first(readings: QuerySet[SensorReading], *, device_id: str | None) -> QuerySet:
    """``readings`` newest first, in the order of the index the filter uses."""
    # One device has one reading per timestamp (the unique constraint), so
    # its index gives a total order alone; across devices, id breaks ties.
    if device_id is not None:
        return readings.order_by("-timestamp")
    return readings.order_by("-timestamp", "-id")


def readings_latest(
    *,
    device_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict | None:
    """The newest reading (a ``values()`` row), or None when there is none."""
    readings = readings_filtered(device_id=device_id, since=since, until=until)
    return readings_newest_first(readings, device_id=device_id).values(*READING_FIELDS).first()


def readings_history(
    *,
    device_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict]:
    """One page of readings (``values()`` rows), newest first."""
    readings = readings_filtered(device_id=device_id, since=since, until=until)
    page = readings_newest_first(readings, device_id=device_id).values(*READING_FIELDS)
    return list(page[offset : offset + limit])


def readings_stats(
    *,
    device_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict:
    """Count and mean of each metric, in one aggregate query; means are None with no rows."""
    readings = readings_filtered(device_id=device_id, since=since, until=until)
    return readings.aggregate(
        count=Count("id"),
        avg_temperature=Avg("temperature"),
        avg_vibration=Avg("vibration"),
        avg_gas=Avg("gas"),
        avg_power=Avg("power"),
    )


def datetime64_utc(texts: Sequence[str]) -> np.ndarray:
    """Database date-times cast to text, as naive UTC ``datetime64[us]``.

    SQLite and MySQL/MariaDB give ``2026-01-29 14:30:45.123456``; PostgreSQL
    appends the session's offset, which Django sets to UTC: ``+00``.
    """
    if connection.vendor == "postgresql":
        texts = [text.removesuffix("+00") for text in texts]
    return np.array(texts, dtype="datetime64[us]")


# Rows per query of an export: enough that a round trip is lost in the noise,
# few enough that one chunk's rows and text stay a few MB. Tests lower it.
EXPORT_CHUNK_ROWS = 10_000
_TEXT_ROW_FIELDS = (*READING_FIELDS[:-2], "timestamp_text", "created_at_text")


class ReadingRows(NamedTuple):
    """Readings as fetched: tuples of READING_FIELDS, date-times parsed per column.

    ``rows[i][:6]`` are id, device_id and the four metrics as the driver made
    them; ``rows[i][6:]`` the date-times as the database's text, which
    ``timestamps`` and ``created_at`` hold parsed (``datetime64[us]``, naive UTC).
    """

    rows: list[tuple]
    timestamps: np.ndarray
    created_at: np.ndarray


def _reading_rows(readings: QuerySet[SensorReading]) -> ReadingRows:
    """The readings of ``readings`` (ordered, sliced), fetched as :class:`ReadingRows`.

    The date-times come as text and are parsed by numpy a column at once, and
    the query runs on a bare cursor: no per-row date-time objects (the
    driver's and Django's cost more than the query at 10,000 rows) and none
    of Django's per-row iterator work.
    """
    texts = readings.annotate(
        # Model fields first, annotations last and in this order: the order
        # Django puts them in the SELECT, whatever values_list asks for.
        timestamp_text=Cast("timestamp", TextField()),
        created_at_text=Cast("created_at", TextField()),
    ).values_list(*_TEXT_ROW_FIELDS)
    rows = rows_fetch(*texts.query.sql_with_params())
    return ReadingRows(
        rows,
        datetime64_utc(tuple(row[6] for row in rows)),
        datetime64_utc(tuple(row[7] for row in rows)),
    )


def readings_history_rows(
    *,
    device_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> ReadingRows:
    """One page of readings, newest first (see :func:`_reading_rows`)."""
    readings = readings_filtered(device_id=device_id, since=since, until=until)
    return _reading_rows(
        readings_newest_first(readings, device_id=device_id)[offset : offset + limit]
    )


def readings_newest_id() -> int:
    """The id of the newest stored reading (0 when there is none): where a live stream starts."""
    newest = SensorReading.objects.order_by("-id").values_list("id", flat=True).first()
    return newest or 0


def readings_after_id(*, after_id: int, device_id: str | None = None, limit: int) -> ReadingRows:
    """Up to ``limit`` readings with an id above ``after_id``, in id order.

    Ids are given in commit order (``sensors.commit_order``), so the readings
    above an id already seen are exactly those committed since.
    """
    readings = SensorReading.objects.filter(id__gt=after_id)
    if device_id is not None:
        readings = readings.filter(device_id=device_id)
    return _reading_rows(readings.order_by("id")[:limit])


def readings_export_chunks(
    *,
    device_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[ReadingRows]:
    """Every matching reading, oldest first, in chunks of ``EXPORT_CHUNK_ROWS`` rows.

    Keyset pagination, never OFFSET: each chunk starts in the index right
    after the last row of the one before, so every query costs the same
    however deep the export is, and the memory held is one chunk. The order
    is ``(timestamp, id)`` (index ``sensor_reading_timestamp_idx``), or for
    one device ``timestamp`` alone (the unique ``(device_id, timestamp)``).
    A lazy generator: nothing is read until the response is streamed.
    """
    readings = readings_filtered(device_id=device_id, since=since, until=until)
    one_device = device_id is not None
    ordered = readings.order_by("timestamp") if one_device else readings.order_by("timestamp", "id")
    chunk_rows = EXPORT_CHUNK_ROWS
    after: tuple[datetime, int] | None = None
    while True:
        page = ordered
        if after is not None:
            page = ordered.filter(_after(*after, one_device=one_device))
        chunk = _reading_rows(page[:chunk_rows])
        if not chunk.rows:
            return
        yield chunk
        if len(chunk.rows) < chunk_rows:
            return
        last = chunk.timestamps[-1].item().replace(tzinfo=UTC)
        after = (last, chunk.rows[-1][0])


def _after(timestamp: datetime, reading_id: int, *, one_device: bool) -> Q:
    """Rows after ``(timestamp, id)`` in export order.

    Written as ``timestamp >= t AND (timestamp > t OR id > i)`` rather than a
    row comparison: every engine turns the first term into an index range
    start (MariaDB does not for a row comparison).
    """
    if one_device:
        return Q(timestamp__gt=timestamp)
    return Q(timestamp__gte=timestamp) & (
        Q(timestamp__gt=timestamp) | Q(timestamp=timestamp, id__gt=reading_id)
    )


def database_status() -> dict:
    """Run a query against the database; raises ``DatabaseError`` when it cannot."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": "ok", "vendor": connection.vendor}


def ingest_workers_list(*, seen_since: datetime, limit: int = 100) -> list[IngestWorker]:
    """The ingest workers heard from since ``seen_since``, most recent first."""
    workers = IngestWorker.objects.filter(last_heartbeat__gte=seen_since)
    return list(workers.order_by("-last_heartbeat", "client_id")[:limit])
