"""The reads behind ``/api/devices``: the registry, with each device's latest reading.

One written-out query per page: the devices joined to their newest readings
through the readings' (device_id, timestamp) index. Model instances, the
ORM's per-value converters and 100 ``Q`` alternatives for the latest
readings cost about 4 ms a page; the query itself a fraction of one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection

from autoforge.timefmt import aware_utc
from devices.models import Device
from sensors.models import SensorReading
from sensors.selectors import READING_FIELDS, rows_fetch

#: A device row's keys, in the order of the query's first columns.
DEVICE_FIELDS = ("device_id", "first_seen", "last_seen", "reading_count")


def devices_page(
    *, online: bool | None, offline_before: datetime, limit: int, offset: int
) -> tuple[list[dict], int]:
    """One page of devices ordered by ``device_id`` (dicts of ``DEVICE_FIELDS``
    and ``latest``: a dict of READING_FIELDS, or None), and how many match in all.

    A device is online when its ``last_seen`` is at or after ``offline_before``.
    """
    q = connection.ops.quote_name
    last_seen = f"d.{q('last_seen')}"
    where, params = "", []
    if online is True:
        where, params = f" WHERE {last_seen} >= %s", [_adapt(offline_before)]
    elif online is False:
        where = f" WHERE ({last_seen} < %s OR {last_seen} IS NULL)"
        params = [_adapt(offline_before)]
    total = rows_fetch(f"SELECT COUNT(*) FROM {q(Device._meta.db_table)} d{where}", params)[0][0]
    rows = rows_fetch(
        f"{_select()}{where} ORDER BY d.{q('device_id')} LIMIT %s OFFSET %s",
        [*params, limit, offset],
    )
    return [_device(row) for row in rows], total


def device_get(*, device_id: str) -> dict | None:
    """One device as in :func:`devices_page`, or None."""
    where = f" WHERE d.{connection.ops.quote_name('device_id')} = %s"
    rows = rows_fetch(_select() + where, [device_id])
    return _device(rows[0]) if rows else None


def offline_before(*, now: datetime, offline_after_seconds: int) -> datetime:
    """The ``last_seen`` before which a device counts as offline."""
    return now - timedelta(seconds=offline_after_seconds)


#: How each database writes a date-time column as text.
_AS_TEXT = {"postgresql": "({})::text", "mysql": "CAST({} AS char)", "sqlite": "CAST({} AS text)"}


def _select() -> str:
    """The page's SELECT. Date-times come as text, parsed by ``fromisoformat``
    (C): psycopg's own timestamptz loader is Python, about 13 µs a value."""
    q = connection.ops.quote_name
    as_text = _AS_TEXT[connection.vendor]

    def column(alias: str, model, name: str) -> str:
        field = model._meta.get_field(name)
        sql = f"{alias}.{q(field.column)}"
        return as_text.format(sql) if field.get_internal_type() == "DateTimeField" else sql

    device = [column("d", Device, name) for name in DEVICE_FIELDS]
    reading = [column("r", SensorReading, name) for name in READING_FIELDS]
    return (
        f"SELECT {', '.join(device + reading)} FROM {q(Device._meta.db_table)} d"
        f" LEFT JOIN {q(SensorReading._meta.db_table)} r"
        f" ON r.{q('device_id')} = d.{q('device_id')}"
        f" AND r.{q('timestamp')} = d.{q('latest_timestamp')}"
    )


def _adapt(moment: datetime) -> object:
    return connection.ops.adapt_datetimefield_value(moment)


def _device(row: tuple) -> dict:
    split = len(DEVICE_FIELDS)
    device = dict(zip(DEVICE_FIELDS, row[:split], strict=True))
    for name in ("first_seen", "last_seen"):
        device[name] = None if device[name] is None else aware_utc(device[name])
    latest = None
    if row[split] is not None:  # the reading's id: the join found it
        latest = dict(zip(READING_FIELDS, row[split:], strict=True))
        latest["timestamp"] = aware_utc(latest["timestamp"])
        latest["created_at"] = aware_utc(latest["created_at"])
    device["latest"] = latest
    return device
