"""The writes of the device registry."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection

from autoforge.upsert import upsert_rows
from devices.models import Device

_MERGE = {
    "first_seen": "first",
    "last_seen": "max",
    "reading_count": "add",
    "latest_timestamp": "max",
}


def devices_record(*, readings: Iterable[tuple[str, datetime]], seen_at: datetime) -> int:
    """Count newly stored readings, given as (device_id, timestamp), into the registry.

    Runs in the caller's transaction (the one that stored the readings), so
    the registry never counts a reading that was not committed, nor a
    duplicate (the caller passes only the rows it inserted). Rows are written
    in device-id order, so that two workers lock them in the same order.
    Returns how many devices were touched.
    """
    counts: dict[str, list] = {}
    for device_id, timestamp in readings:
        entry = counts.get(device_id)
        if entry is None:
            counts[device_id] = [1, timestamp]
        else:
            entry[0] += 1
            if timestamp > entry[1]:
                entry[1] = timestamp
    if not counts:
        return 0
    adapt = connection.ops.adapt_datetimefield_value
    seen = adapt(seen_at)
    rows = [
        (device_id, seen, seen, count, adapt(latest))
        for device_id, (count, latest) in sorted(counts.items())
    ]
    upsert_rows(connection, table=Device._meta.db_table, key=["device_id"], merge=_MERGE, rows=rows)
    return len(rows)


def device_lock(*, device_id: str) -> Device:
    """The device's registry row, created if missing, locked until the
    caller's transaction ends (ingest workers then wait to count into it)."""
    Device.objects.get_or_create(device_id=device_id)
    return Device.objects.select_for_update().get(device_id=device_id)


def device_set_counts(
    *,
    device: Device,
    reading_count: int,
    first_seen: datetime | None,
    last_seen: datetime | None,
    latest_timestamp: datetime | None,
) -> None:
    """Set a registry row from a recount; a time already recorded that the
    recount cannot see (its readings pruned) is kept."""
    device.reading_count = reading_count
    if first_seen is not None and (device.first_seen is None or first_seen < device.first_seen):
        device.first_seen = first_seen
    if last_seen is not None and (device.last_seen is None or last_seen > device.last_seen):
        device.last_seen = last_seen
    if latest_timestamp is not None:
        device.latest_timestamp = latest_timestamp
    device.save(update_fields=["reading_count", "first_seen", "last_seen", "latest_timestamp"])
