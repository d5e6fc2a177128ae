"""The reads behind ``/api/devices``: the registry, with each device's latest reading."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q

from devices.models import Device
from sensors.models import SensorReading
from sensors.selectors import READING_FIELDS


def devices_page(
    *, online: bool | None, offline_before: datetime, limit: int, offset: int
) -> tuple[list[Device], int]:
    """One page of devices ordered by ``device_id``, and how many match in all.

    A device is online when its ``last_seen`` is at or after ``offline_before``.
    """
    devices = Device.objects.all()
    if online is True:
        devices = devices.filter(last_seen__gte=offline_before)
    elif online is False:
        devices = devices.filter(Q(last_seen__lt=offline_before) | Q(last_seen__isnull=True))
    return list(devices.order_by("device_id")[offset : offset + limit]), devices.count()


def device_get(*, device_id: str) -> Device | None:
    return Device.objects.filter(device_id=device_id).first()


def latest_readings(devices: list[Device]) -> dict[str, dict]:
    """Each device's newest reading (a ``values()`` row), by device id, in one query."""
    keys = [(d.device_id, d.latest_timestamp) for d in devices if d.latest_timestamp]
    if not keys:
        return {}
    condition = Q()
    for device_id, timestamp in keys:
        condition |= Q(device_id=device_id, timestamp=timestamp)
    rows = SensorReading.objects.filter(condition).values(*READING_FIELDS)
    return {row["device_id"]: row for row in rows}


def offline_before(*, now: datetime, offline_after_seconds: int) -> datetime:
    """The ``last_seen`` before which a device counts as offline."""
    return now - timedelta(seconds=offline_after_seconds)
