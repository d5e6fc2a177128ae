"""Offline alarms: a device silent for ``DEVICE_OFFLINE_AFTER_SECONDS``.

``offline_alarms_raise`` runs in the ingest every few seconds, under the
readings' write lock (the caller takes it), so it never raises an alarm for a
device whose reading is being committed at that moment. The unique
``active_key`` keeps it to one active offline alarm per device even so.
Readings clear them (``alarms.evaluation``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from alarms.lifecycle import alarm_raise
from alarms.models import Alarm, Severity
from devices.models import Device


def offline_alarms_raise(*, now: datetime, offline_after_seconds: int) -> int:
    """Raise an offline alarm for each device silent for longer than
    ``offline_after_seconds`` that has none active; returns how many."""
    after = timedelta(seconds=offline_after_seconds)
    silent = Device.objects.filter(last_seen__lt=now - after).values_list("device_id", "last_seen")
    already = set(
        Alarm.objects.filter(kind=Alarm.Kind.OFFLINE, status=Alarm.Status.ACTIVE).values_list(
            "device_id", flat=True
        )
    )
    raised = 0
    for device_id, last_seen in silent:
        if device_id in already:
            continue
        alarm_raise(
            now=now,
            kind=Alarm.Kind.OFFLINE,
            rule=None,
            device_id=device_id,
            severity=Severity.MAJOR,
            threshold=float(offline_after_seconds),
            started_at=last_seen + after,
            active_key=Alarm.offline_key(device_id),
        )
        raised += 1
    return raised
