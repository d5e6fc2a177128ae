from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection, transaction

from sensors.models import SensorReading
from sensors.reading_insert import FIELD_NAMES, ReadingInsert
from sensors.validation import Reading

BASE = datetime(2026, 1, 29, 14, 30, 45, 123456, tzinfo=UTC)


def readings(count: int, *, device_id: str = "press-01") -> list[Reading]:
    return [
        Reading(
            device_id=device_id,
            temperature=20.0 + i,
            vibration=1.5,
            gas=400.0,
            power=-2.5e-3,
            timestamp=BASE + timedelta(microseconds=i),
        )
        for i in range(count)
    ]


@pytest.mark.django_db
def test_it_prepares_values_as_the_model_fields_do():
    insert = ReadingInsert(connection)
    reading = readings(1)[0]
    created_at = BASE + timedelta(days=1)

    (row,) = insert.rows([reading], created_at)

    model = SensorReading(
        device_id=reading.device_id,
        temperature=reading.temperature,
        vibration=reading.vibration,
        gas=reading.gas,
        power=reading.power,
        timestamp=reading.timestamp,
        created_at=created_at,
    )
    expected = tuple(
        SensorReading._meta.get_field(name).get_db_prep_save(getattr(model, name), connection)
        for name in FIELD_NAMES
    )
    assert row == expected


@pytest.mark.django_db
def test_it_stores_more_rows_than_one_statement_carries():
    insert = ReadingInsert(connection, max_rows=1000)
    count = insert.rows_per_statement * 2 + 3

    with transaction.atomic():
        stored = insert.execute(readings(count), created_at=BASE)

    assert stored == count
    assert SensorReading.objects.count() == count
    stored_back = SensorReading.objects.order_by("timestamp").last()
    assert stored_back.timestamp == BASE + timedelta(microseconds=count - 1)
    assert stored_back.power == -2.5e-3
    assert stored_back.created_at == BASE


@pytest.mark.django_db
def test_it_stores_a_single_row_and_skips_it_the_second_time():
    insert = ReadingInsert(connection)

    with transaction.atomic():
        first = insert.execute(readings(1), created_at=BASE)
        second = insert.execute(readings(1), created_at=BASE)

    assert (first, second) == (1, 0)
    assert SensorReading.objects.count() == 1


@pytest.mark.django_db
def test_it_counts_only_new_rows_when_a_batch_overlaps_what_is_stored():
    insert = ReadingInsert(connection)
    with transaction.atomic():
        insert.execute(readings(10), created_at=BASE)

    with transaction.atomic():
        stored = insert.execute(readings(25), created_at=BASE)

    assert stored == 15
    assert SensorReading.objects.count() == 25


@pytest.mark.django_db
def test_it_stores_odd_strings_and_exact_floats_unchanged():
    insert = ReadingInsert(connection)
    odd = ["NULL", 'quote"d', "back\\slash", "{braces},comma", "späce ü"]
    batch = [
        Reading(
            device_id=device_id,
            temperature=0.1 + 0.2,
            vibration=-0.0,
            gas=1e300,
            power=5e-324,
            timestamp=BASE + timedelta(seconds=i),
        )
        for i, device_id in enumerate(odd)
    ]

    with transaction.atomic():
        stored = insert.execute(batch, created_at=BASE)

    assert stored == len(odd)
    rows = SensorReading.objects.order_by("timestamp")
    assert [row.device_id for row in rows] == odd
    assert {(row.temperature, row.gas, row.power) for row in rows} == {(0.1 + 0.2, 1e300, 5e-324)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "moment",
    [
        BASE,
        BASE.replace(microsecond=0),
        BASE.astimezone(timezone(timedelta(hours=5, minutes=30))),
        datetime(2000, 1, 1, tzinfo=UTC),
    ],
)
def test_it_prepares_any_aware_timestamp_as_the_field_does(moment):
    insert = ReadingInsert(connection)
    reading = readings(1)[0]._replace(timestamp=moment)

    (row,) = insert.rows([reading], moment)

    field = SensorReading._meta.get_field("timestamp")
    assert row[5] == row[6] == field.get_db_prep_save(moment, connection)
