"""Rollups: count, sum, min and max of each metric per minute, hour and day.

Per device, and for the whole fleet: rows with the device id ``FLEET``
("*", which no device id can be) hold every device's readings together, so
that an aggregate over all devices reads one row per period instead of one
per device (a month of hours: 720 rows, not 720 times 200).

The ingest adds each batch's newly stored readings to them in the same
transaction (``rollups_add``), so they agree with the raw rows at every
commit: a late or out-of-order reading lands in its own bucket, and a
duplicate, never stored, is never added. ``rollups_rebuild_device`` computes
one device's rows again from its readings, ``rollups_rebuild_fleet`` the
fleet's from the devices' minutes (``manage.py rebuild_rollups``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection

from autoforge.upsert import upsert_rows
from sensors.models import ReadingRollup, SensorReading
from sensors.validation import METRICS, Reading

MINUTE, HOUR, DAY = 60, 3600, 86400
PERIODS = (MINUTE, HOUR, DAY)
#: The device id of the fleet's rows: outside DEVICE_ID_RE, so never a device's.
FLEET = "*"

#: The value columns, in the order of a rollup's values list.
VALUE_COLUMNS = ["count"] + [f"{m}_{part}" for m in METRICS for part in ("sum", "min", "max")]
_MERGE = {"count": "add"} | {
    f"{m}_{part}": ("add" if part == "sum" else part)
    for m in METRICS
    for part in ("sum", "min", "max")
}


def rollup_values(readings: Iterable[Reading]) -> dict[tuple[int, str, int], list]:
    """The rollup values the readings add, by (period, device_id, bucket).

    Each value list is ``[count, temperature_sum, temperature_min,
    temperature_max, vibration_sum, ...]``, as ``VALUE_COLUMNS``.
    """
    minutes: dict[tuple[str, int], list] = {}
    for reading in readings:
        second = int(reading.timestamp.timestamp())
        key = (reading.device_id, second - second % MINUTE)
        values = minutes.get(key)
        t, v, g, p = reading.temperature, reading.vibration, reading.gas, reading.power
        if values is None:
            minutes[key] = [1, t, t, t, v, v, v, g, g, g, p, p, p]
            continue
        values[0] += 1
        for index, x in ((1, t), (4, v), (7, g), (10, p)):
            values[index] += x
            if x < values[index + 1]:
                values[index + 1] = x
            if x > values[index + 2]:
                values[index + 2] = x
    return rollup_values_from_minutes(
        ((device_id, bucket, *values) for (device_id, bucket), values in minutes.items()),
        with_fleet=True,
    )


def merge_values(merged: list, values: list) -> None:
    """Merge rollup ``values`` into ``merged`` (both as ``VALUE_COLUMNS``)."""
    merged[0] += values[0]
    for index in (1, 4, 7, 10):
        merged[index] += values[index]
        merged[index + 1] = min(merged[index + 1], values[index + 1])
        merged[index + 2] = max(merged[index + 2], values[index + 2])


def rollups_add(*, readings: Sequence[Reading]) -> int:
    """Add newly stored ``readings`` to the rollups, in the caller's transaction.

    Rows are written in key order, so that two workers adding to the same
    rows lock them in the same order (no deadlock); the fleet's rows, which
    every batch touches, are written by one worker at a time anyway (the
    caller holds ``sensors.commit_order``'s lock). Returns the rows touched.
    """
    rows = sorted(rollup_values(readings).items())
    _upsert(rows)
    return len(rows)


def _upsert(rows: list[tuple[tuple[int, str, int], list]]) -> None:
    """Merge ``rows`` ((period, device_id, bucket), values) into the table."""
    upsert_rows(
        connection,
        table=ReadingRollup._meta.db_table,
        key=["period", "device_id", "bucket"],
        merge=_MERGE,
        rows=[(*key, *values) for key, values in rows],
    )


def _minute_sql(vendor: str) -> str:
    """SQL for the start (Unix seconds) of the minute of ``timestamp``."""
    if vendor == "postgresql":
        return 'FLOOR(EXTRACT(EPOCH FROM "timestamp") / 60)::bigint * 60'
    if vendor == "mysql":
        return "TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', `timestamp`) DIV 60 * 60"
    # The stored text without its fraction: SQLite's date functions round to
    # the millisecond, which would move 23:59:59.9995 into the next day.
    # "%%": the query goes through the %s parameter style, where "%" is special.
    return "CAST(strftime('%%s', substr(\"timestamp\", 1, 19)) AS INTEGER) / 60 * 60"


def rollup_values_from_minutes(
    minutes: Iterable[tuple], *, with_fleet: bool = False
) -> dict[tuple[int, str, int], list]:
    """Every period's rollup values from minute rows ``(device_id, bucket, *VALUE_COLUMNS)``;
    ``with_fleet``: each minute also goes into the fleet's rows."""
    result: dict[tuple[int, str, int], list] = {}
    for device_id, bucket, *values in minutes:
        for owner in (device_id, FLEET) if with_fleet else (device_id,):
            for period in PERIODS:
                key = (period, owner, bucket - bucket % period)
                merged = result.get(key)
                if merged is None:
                    result[key] = list(values)
                else:
                    merge_values(merged, values)
    return result


def rollups_rebuild_device(*, device_id: str) -> int:
    """Compute ``device_id``'s rollups again from its raw readings; returns the rows written.

    Only from the UTC day of its oldest raw reading on: older rows stay, as
    they are all that is left of readings pruned since (``prune_readings``
    deletes whole days). Runs in the caller's transaction, which must hold
    the device's registry row locked (see ``manage.py rebuild_rollups``), so
    that no ingest worker adds to these rows meanwhile.
    """
    table = connection.ops.quote_name(SensorReading._meta.db_table)
    columns = ", ".join(
        f"{function}({connection.ops.quote_name(metric)})"
        for metric in METRICS
        for function in ("SUM", "MIN", "MAX")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_minute_sql(connection.vendor)} AS bucket_start, COUNT(*), {columns} "
            f"FROM {table} WHERE {connection.ops.quote_name('device_id')} = %s "
            "GROUP BY bucket_start ORDER BY bucket_start",
            [device_id],
        )
        minutes = [(device_id, int(row[0]), *row[1:]) for row in cursor.fetchall()]
    rollups = ReadingRollup.objects.filter(device_id=device_id)
    if minutes:
        first_day = minutes[0][1] - minutes[0][1] % DAY
        rollups.filter(bucket__gte=first_day).delete()
    rows = sorted(rollup_values_from_minutes(minutes).items())
    _upsert(rows)
    return len(rows)


def rollups_rebuild_fleet() -> int:
    """Compute the fleet's rows again from every device's minute rows; returns the rows written.

    Runs in the caller's transaction, which must hold the readings' write
    lock (``sensors.commit_order``), so that no ingest worker adds to the
    fleet's rows meanwhile. From the device rows, not the raw readings: they
    also hold what retention has pruned.
    """
    q = connection.ops.quote_name
    columns = ", ".join(
        f"{function}({q(f'{metric}_{part}')})"
        for metric in METRICS
        for function, part in (("SUM", "sum"), ("MIN", "min"), ("MAX", "max"))
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {q('bucket')}, SUM({q('count')}), {columns} "
            f"FROM {q(ReadingRollup._meta.db_table)} "
            f"WHERE {q('period')} = %s AND {q('device_id')} <> %s "
            f"GROUP BY {q('bucket')} ORDER BY {q('bucket')}",
            [MINUTE, FLEET],
        )
        minutes = [(FLEET, int(row[0]), *row[1:]) for row in cursor.fetchall()]
    ReadingRollup.objects.filter(device_id=FLEET).delete()
    rows = sorted(rollup_values_from_minutes(minutes).items())
    for start in range(0, len(rows), 5000):
        _upsert(rows[start : start + 5000])
    return len(rows)
