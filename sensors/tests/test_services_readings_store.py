from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sensors.models import SensorReading
from sensors.services import readings_store
from sensors.validation import Reading

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 29, 14, 30, 45, 123456, tzinfo=UTC)


def reading(device_id: str = "dev-1", seconds: int = 0, temperature: float = 24.5) -> Reading:
    return Reading(
        device_id=device_id,
        temperature=temperature,
        vibration=12.3,
        gas=450.0,
        power=250.5,
        timestamp=T0 + timedelta(seconds=seconds),
    )


def test_it_stores_a_batch_of_readings():
    result = readings_store(readings=[reading(seconds=i) for i in range(5)])

    assert (result.stored, result.duplicates) == (5, 0)
    stored = SensorReading.objects.get(device_id="dev-1", timestamp=T0)
    assert stored.temperature == 24.5
    assert stored.power == 250.5
    assert stored.created_at is not None


def test_it_keeps_the_microseconds_of_the_timestamp():
    readings_store(readings=[reading()])

    assert SensorReading.objects.get().timestamp == T0


def test_it_stores_nothing_for_an_empty_batch():
    result = readings_store(readings=[])

    assert (result.stored, result.duplicates) == (0, 0)
    assert SensorReading.objects.count() == 0


def test_it_stores_the_same_timestamp_for_two_devices():
    result = readings_store(readings=[reading("a"), reading("b")])

    assert result.stored == 2
