"""``readings_store`` fails, and stores nothing, when the database refuses a reading.

SQLite's INSERT OR IGNORE and MySQL's INSERT IGNORE would skip such a row as
quietly as a duplicate; the store must tell the two apart, so that the
ingest dead-letters the refused reading instead of losing it.
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection

from sensors.models import SensorReading
from sensors.services import readings_store
from sensors.tests.database_refusals import refusing_readings_with_temperature
from sensors.tests.test_services_readings_store import reading

pytestmark = pytest.mark.django_db(transaction=True)

POISON = 66.625


def test_a_refused_reading_fails_the_whole_write():
    with refusing_readings_with_temperature(POISON), pytest.raises(DatabaseError):
        readings_store(readings=[reading(seconds=0), reading(seconds=1, temperature=POISON)])

    assert SensorReading.objects.count() == 0


def test_a_refused_reading_among_duplicates_still_fails_the_write():
    readings_store(readings=[reading(seconds=0)])

    with refusing_readings_with_temperature(POISON), pytest.raises(DatabaseError):
        readings_store(readings=[reading(seconds=0), reading(seconds=1, temperature=POISON)])

    assert SensorReading.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="a trigger that skips rows: SQLite's")
def test_a_row_the_database_skips_quietly_is_not_taken_for_a_duplicate():
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TRIGGER skip_poison BEFORE INSERT ON sensors_sensorreading "
            f"WHEN NEW.temperature = {POISON} BEGIN SELECT RAISE(IGNORE); END"
        )
    try:
        with pytest.raises(DatabaseError, match="1 of 2 readings were refused"):
            readings_store(readings=[reading(seconds=0), reading(seconds=1, temperature=POISON)])
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER skip_poison")


def test_duplicates_alone_are_no_error():
    readings_store(readings=[reading(seconds=0), reading(seconds=1)])

    result = readings_store(readings=[reading(seconds=0), reading(seconds=1), reading(seconds=2)])

    assert (result.stored, result.duplicates) == (1, 2)
