"""Stats and aggregate buckets, answered from rollups, equal a brute-force pass over the raw rows.

Property tests: hypothesis makes readings (stored through the ingest's real
write path, duplicates and all), a range, an interval and a time zone; the
answer must match what summing the stored rows one by one gives. Counts,
minima and maxima exactly; averages to rounding (the same floats added in
another order).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sensors.aggregates import INTERVALS, TooManyBuckets, readings_buckets, readings_stats
from sensors.models import ReadingRollup, SensorReading
from sensors.services import readings_store
from sensors.validation import METRICS, Reading

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 27, 22, 0, tzinfo=UTC)  # Europe's DST change is on the 29th
SPAN = timedelta(days=4)
ZONES = ["UTC", "Europe/Berlin", "Asia/Kolkata", "America/St_Johns", "Australia/Lord_Howe"]

moments = st.integers(min_value=0, max_value=int(SPAN.total_seconds() * 1_000_000)).map(
    lambda us: T0 + timedelta(microseconds=us)
)
# Coarse times as well, so that many readings share a minute and boundaries are hit.
coarse_moments = st.integers(min_value=0, max_value=int(SPAN.total_seconds()) // 30).map(
    lambda n: T0 + timedelta(seconds=30 * n)
)
values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, width=32)
readings = st.lists(
    st.builds(
        Reading,
        device_id=st.sampled_from(["a", "b"]),
        temperature=values,
        vibration=values,
        gas=values,
        power=values,
        timestamp=st.one_of(moments, coarse_moments),
    ),
    max_size=60,
)
bounds = st.one_of(st.none(), moments, coarse_moments)

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def store_in_batches(batches: list[list[Reading]]) -> None:
    SensorReading.objects.all().delete()
    ReadingRollup.objects.all().delete()
    for batch in batches:
        readings_store(readings=batch)


def brute_force(rows: list[dict]) -> dict:
    stats: dict = {"count": len(rows)}
    for metric in METRICS:
        column = [row[metric] for row in rows]
        stats[f"avg_{metric}"] = math.fsum(column) / len(column) if column else None
        stats[f"min_{metric}"] = min(column) if column else None
        stats[f"max_{metric}"] = max(column) if column else None
    return stats


def assert_same(got: dict, expected: dict) -> None:
    assert got["count"] == expected["count"]
    for key, value in expected.items():
        if key.startswith("avg_") and value is not None:
            assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-6), key
        else:
            assert got[key] == value, key


def stored_rows(device_id, since, until) -> list[dict]:
    rows = SensorReading.objects.values("device_id", "timestamp", *METRICS)
    return [
        row
        for row in rows
        if (device_id is None or row["device_id"] == device_id)
        and (since is None or row["timestamp"] >= since)
        and (until is None or row["timestamp"] < until)
    ]


@SETTINGS
@given(
    batches=st.lists(readings, min_size=1, max_size=3),
    device_id=st.sampled_from([None, "a", "b"]),
    since=bounds,
    until=bounds,
)
def test_stats_equal_the_raw_rows(batches, device_id, since, until):
    store_in_batches([*batches, batches[0]])  # the first batch again: all duplicates

    got = readings_stats(device_id=device_id, since=since, until=until)

    assert_same(got, brute_force(stored_rows(device_id, since, until)))


def expected_buckets(rows, interval, zone) -> dict[datetime, list[dict]]:
    seconds = INTERVALS[interval]
    grouped: dict[datetime, list[dict]] = {}
    for row in rows:
        if interval == "1d":
            local = row["timestamp"].astimezone(zone)
            start = datetime(local.year, local.month, local.day, tzinfo=zone).astimezone(UTC)
        else:
            second = int(row["timestamp"].timestamp())
            start = datetime.fromtimestamp(second - second % seconds, UTC)
        grouped.setdefault(start, []).append(row)
    return grouped


@SETTINGS
@given(
    batches=st.lists(readings, min_size=1, max_size=3),
    device_id=st.sampled_from([None, "a"]),
    interval=st.sampled_from(list(INTERVALS)),
    zone=st.sampled_from(ZONES),
    since=st.one_of(moments, coarse_moments),
    length=st.integers(min_value=1, max_value=int(SPAN.total_seconds() * 1_000_000)),
)
def test_aggregate_buckets_equal_the_raw_rows(batches, device_id, interval, zone, since, length):
    store_in_batches(batches)
    until = since + timedelta(microseconds=length)
    tz = ZoneInfo(zone)

    try:
        got = readings_buckets(
            interval=interval, since=since, until=until, tz=tz, device_id=device_id
        )
    except TooManyBuckets:
        assert INTERVALS[interval] * 10_000 < length / 1_000_000 + INTERVALS[interval]
        return

    expected = expected_buckets(stored_rows(device_id, since, until), interval, tz)
    assert [bucket["bucket"] for bucket in got] == sorted(expected)
    for bucket in got:
        assert_same(bucket, brute_force(expected[bucket["bucket"]]))
