"""ml-data's columns, read each database's own way, hold the newest readings oldest first.

PostgreSQL reads them as binary aggregates, SQLite and MariaDB as rows: on
each database the columns must equal what the ORM reads one row at a time,
whatever the devices, ties, range and limit.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sensors.ml_columns import METRIC_COLUMNS, oldest_first_order, readings_ml_columns
from sensors.models import SensorReading
from sensors.services import readings_store
from sensors.validation import METRICS, Reading

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 29, 14, 30, 45, 123456, tzinfo=UTC)

# Few distinct moments, so that devices share timestamps and ids break ties.
moments = st.integers(min_value=0, max_value=40).map(lambda n: T0 + timedelta(seconds=n * 0.25))
values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
readings = st.lists(
    st.builds(
        Reading,
        device_id=st.sampled_from(["press-1", "press.2", "Kiln_3-b"]),
        temperature=values,
        vibration=values,
        gas=values,
        power=values,
        timestamp=moments,
    ),
    max_size=40,
)


def expected_columns(*, device_id=None, since=None, until=None, limit: int) -> list[tuple]:
    """Brute force: every stored row, filtered and ordered in Python, the newest ``limit`` kept."""
    rows = [
        row
        for row in SensorReading.objects.values_list("id", "timestamp", *METRICS, "device_id")
        if (device_id is None or row[-1] == device_id)
        and (since is None or row[1] >= since)
        and (until is None or row[1] < until)
    ]
    rows.sort(key=lambda row: (row[1], row[0]))
    return [
        (timestamp.astimezone(UTC).replace(tzinfo=None), *rest)
        for _, timestamp, *rest in rows[-limit:]
    ]


def as_rows(columns: dict[str, np.ndarray]) -> list[tuple]:
    return list(
        zip(
            columns["timestamps"].tolist(),
            *(columns[name].tolist() for name in METRIC_COLUMNS),
            columns["device_ids"].tolist(),
            strict=True,
        )
    )


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    batch=readings,
    device_id=st.none() | st.sampled_from(["press-1", "press.2"]),
    since=st.none() | moments,
    until=st.none() | moments,
    limit=st.integers(min_value=1, max_value=50),
)
def test_the_columns_are_the_rows_the_orm_reads(batch, device_id, since, until, limit) -> None:
    SensorReading.objects.all().delete()
    readings_store(readings=batch)
    query = {"device_id": device_id, "since": since, "until": until}

    columns = readings_ml_columns(**query, limit=limit)

    assert as_rows(columns) == expected_columns(**query, limit=limit)


def test_readings_at_one_moment_come_in_the_order_they_were_stored(db) -> None:
    readings_store(
        readings=[Reading(f"press-{n}", n, n, n, n, T0) for n in (3, 1, 2)]
        + [Reading("press-9", 9, 9, 9, 9, T0 - timedelta(microseconds=1))]
    )

    columns = readings_ml_columns(limit=3)

    assert columns["device_ids"].tolist() == ["press-3", "press-1", "press-2"]
    assert columns["temperatures"].tolist() == [3.0, 1.0, 2.0]


def test_timestamps_far_from_now_keep_their_microseconds(db) -> None:
    moments = [
        datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2000, 1, 1, tzinfo=UTC),
        datetime(2100, 6, 30, 12, 0, 0, 500000, tzinfo=UTC),
    ]
    readings_store(readings=[Reading("press-1", 1, 2, 3, 4, moment) for moment in moments])

    columns = readings_ml_columns(device_id="press-1", limit=10)

    assert columns["timestamps"].tolist() == [moment.replace(tzinfo=None) for moment in moments]


def test_every_column_is_a_contiguous_native_array_of_its_type(db) -> None:
    readings_store(
        readings=[Reading("press-1", 1.5, 2, 3, 4, T0 + timedelta(seconds=n)) for n in range(5)]
    )

    for device_id in (None, "press-1"):
        columns = readings_ml_columns(device_id=device_id, limit=3)

        assert columns["timestamps"].dtype == np.dtype("datetime64[us]")
        assert all(columns[name].dtype == np.dtype(np.float64) for name in METRIC_COLUMNS)
        assert columns["device_ids"].dtype.kind == "U"
        for column in columns.values():
            assert column.shape == (3,)
            assert column.flags.c_contiguous
            assert column.dtype.isnative


def test_no_reading_is_empty_columns_of_the_same_types(db) -> None:
    for device_id in (None, "press-1"):
        columns = readings_ml_columns(device_id=device_id, limit=10)

        assert all(column.shape == (0,) for column in columns.values())
        assert columns["timestamps"].dtype == np.dtype("datetime64[us]")
        assert columns["temperatures"].dtype == np.dtype(np.float64)


def test_a_page_read_newest_first_is_reversed() -> None:
    timestamps = np.array([30, 20, 20, 10])
    ids = np.array([4, 3, 2, 1])

    order = oldest_first_order(timestamps, ids)

    assert timestamps[order].tolist() == [10, 20, 20, 30]
    assert ids[order].tolist() == [1, 2, 3, 4]


def test_a_page_in_any_other_order_is_sorted_by_time_then_id() -> None:
    timestamps = np.array([20, 30, 10, 20, 20])
    ids = np.array([7, 1, 9, 2, 5])

    order = oldest_first_order(timestamps, ids)

    assert list(zip(timestamps[order].tolist(), ids[order].tolist(), strict=True)) == [
        (10, 9),
        (20, 2),
        (20, 5),
        (20, 7),
        (30, 1),
    ]


def test_one_row_or_none_needs_no_sorting() -> None:
    for size in (0, 1):
        timestamps = np.arange(size)
        assert timestamps[oldest_first_order(timestamps, timestamps)].tolist() == list(range(size))
