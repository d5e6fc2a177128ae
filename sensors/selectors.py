"""The reads behind the API: readings, their aggregates, and the ingest's status.

Every query is shaped for the indexes of ``SensorReading`` (see its ``Meta``):
with a device filter, ``(device_id, timestamp)`` read backwards; without,
``(timestamp, id)`` read backwards. Nothing here counts the whole table.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
from django.db import connection
from django.db.models import Avg, Count, QuerySet, TextField
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
ML_COLUMNS = ("timestamps", "temperatures", "vibrations", "gases", "powers", "device_ids")


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


def _newest_first(readings: QuerySet[SensorReading], *, device_id: str | None) -> QuerySet:
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
    return _newest_first(readings, device_id=device_id).values(*READING_FIELDS).first()


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
    page = _newest_first(readings, device_id=device_id).values(*READING_FIELDS)
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


def readings_ml_columns(
    *,
    device_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 1000,
) -> dict[str, np.ndarray]:
    """The newest ``limit`` readings as equal-length numpy columns, oldest first.

    ``timestamps`` is ``datetime64[us]`` in UTC (naive, as numpy has no time
    zones), the metrics ``float64``, ``device_ids`` a fixed-width unicode array.
    Rows are tuples, never model instances or dicts.
    """
    readings = readings_filtered(device_id=device_id, since=since, until=until)
    # The timestamp as text, parsed by numpy for the whole column at once: a
    # date-time object per row (made by the driver, then by Django) costs more
    # than the query itself at 100,000 rows (bench/read_api.py).
    page = (
        _newest_first(readings, device_id=device_id)
        .annotate(timestamp_text=Cast("timestamp", TextField()))
        .values_list("timestamp_text", "temperature", "vibration", "gas", "power", "device_id")
    )
    rows = list(page[:limit])
    rows.reverse()
    columns = list(zip(*rows, strict=True)) if rows else [()] * 6
    timestamps, temperatures, vibrations, gases, powers, device_ids = columns
    return {
        "timestamps": _datetime64_utc(timestamps),
        "temperatures": np.array(temperatures, dtype=np.float64),
        "vibrations": np.array(vibrations, dtype=np.float64),
        "gases": np.array(gases, dtype=np.float64),
        "powers": np.array(powers, dtype=np.float64),
        "device_ids": np.array(device_ids, dtype=np.str_),
    }


def _datetime64_utc(texts: tuple[str, ...]) -> np.ndarray:
    """Database date-times cast to text, as naive UTC ``datetime64[us]``.

    SQLite and MySQL/MariaDB give ``2026-01-29 14:30:45.123456``; PostgreSQL
    appends the session's offset, which Django sets to UTC: ``+00``.
    """
    if connection.vendor == "postgresql":
        texts = tuple(text.removesuffix("+00") for text in texts)
    return np.array(texts, dtype="datetime64[us]")


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
