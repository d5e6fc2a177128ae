"""Readings for the API and admin tests, at fixed, known times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sensors.models import SensorReading
from sensors.services import readings_store
from sensors.validation import Reading

# Microseconds on purpose: every database must keep them.
T0 = datetime(2026, 1, 29, 14, 30, 45, 123456, tzinfo=UTC)


def add_reading(
    device_id: str = "press-1",
    *,
    seconds: float = 0,
    temperature: float = 20.0,
    vibration: float = 1.0,
    gas: float = 400.0,
    power: float = 250.0,
) -> SensorReading:
    """Store one reading dated ``seconds`` after ``T0``, as the ingest does
    (with its rollups and its device in the registry)."""
    timestamp = T0 + timedelta(seconds=seconds)
    readings_store(readings=[Reading(device_id, temperature, vibration, gas, power, timestamp)])
    return SensorReading.objects.get(device_id=device_id, timestamp=timestamp)


def iso(moment: datetime) -> str:
    """The API's rendering of a date-time."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
