from __future__ import annotations

import pytest

from sensors.models import SensorReading
from sensors.services import readings_store
from sensors.tests.test_services_readings_store import reading

pytestmark = pytest.mark.django_db


def test_it_ignores_and_counts_a_reading_already_stored():
    readings_store(readings=[reading(seconds=1), reading(seconds=2)])

    result = readings_store(readings=[reading(seconds=2), reading(seconds=3)])

    assert (result.stored, result.duplicates) == (1, 1)
    assert SensorReading.objects.count() == 3


def test_it_keeps_the_first_stored_version_of_a_duplicate():
    readings_store(readings=[reading(temperature=1.0)])

    readings_store(readings=[reading(temperature=2.0)])

    assert SensorReading.objects.get().temperature == 1.0


def test_it_ignores_and_counts_duplicates_inside_one_batch():
    batch = [reading(seconds=1), reading(seconds=1), reading(seconds=2), reading(seconds=1)]

    result = readings_store(readings=batch)

    assert (result.stored, result.duplicates) == (2, 2)
    assert SensorReading.objects.count() == 2


def test_it_counts_every_duplicate_of_a_large_batch_split_into_statements():
    first = [reading(seconds=i) for i in range(0, 3000, 2)]
    readings_store(readings=first)

    result = readings_store(readings=[reading(seconds=i) for i in range(3000)])

    assert (result.stored, result.duplicates) == (1500, 1500)
    assert SensorReading.objects.count() == 3000
