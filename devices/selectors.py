"""Reads of the device registry that need nothing from the other apps."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from devices.models import Device


def devices_online_count(*, now: datetime, offline_after_seconds: int) -> int:
    """Devices whose ``last_seen`` is within ``offline_after_seconds`` of ``now``
    (CONTRACT §3: the same rule as ``online`` in ``/api/devices``)."""
    since = now - timedelta(seconds=offline_after_seconds)
    return Device.objects.filter(last_seen__gte=since).count()


def devices_online_now() -> int:
    """:func:`devices_online_count` for this moment and ``DEVICE_OFFLINE_AFTER_SECONDS``."""
    return devices_online_count(
        now=timezone.now(), offline_after_seconds=settings.DEVICE_OFFLINE_AFTER_SECONDS
    )
