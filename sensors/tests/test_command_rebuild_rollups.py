"""manage.py rebuild_rollups makes corrupted rollups and registry rows equal the readings again."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Max, Min

from devices.models import Device
from sensors.aggregates import readings_buckets, readings_stats
from sensors.models import ReadingRollup, SensorReading
from sensors.rollups import DAY, FLEET, HOUR, MINUTE, VALUE_COLUMNS, rollup_values
from sensors.services import readings_store
from sensors.validation import METRICS, Reading

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 22, 17, 3, 250000, tzinfo=UTC)
ROLLUP_FIELDS = ["period", "device_id", "bucket", *VALUE_COLUMNS]
DEVICE_FIELDS = ["device_id", "first_seen", "last_seen", "reading_count", "latest_timestamp"]


@pytest.fixture
def stored() -> None:
    """Readings of three devices over three days, in a few batches, out of order."""
    rng = random.Random(4)
    readings = [
        Reading(
            device_id,
            rng.uniform(-50, 50),
            rng.uniform(0, 10),
            rng.uniform(300, 600),
            rng.uniform(-1000, 1000),
            T0 + timedelta(seconds=rng.randrange(0, 3 * 86400), microseconds=rng.randrange(10**6)),
        )
        for device_id in ["a", "b", "c"]
        for _ in range(150)
    ]
    rng.shuffle(readings)
    for start in range(0, len(readings), 50):
        readings_store(readings=readings[start : start + 50])


def rebuild() -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("rebuild_rollups", stdout=out, stderr=err)
    return out.getvalue()


def expected_rollups() -> dict[tuple[int, str, int], list]:
    readings = [
        Reading(r["device_id"], *(r[m] for m in METRICS), r["timestamp"])
        for r in SensorReading.objects.values("device_id", *METRICS, "timestamp")
    ]
    return rollup_values(readings)


def assert_rollups_equal_the_readings() -> None:
    expected = expected_rollups()
    got = {
        (row[0], row[1], row[2]): list(row[3:])
        for row in ReadingRollup.objects.values_list(*ROLLUP_FIELDS)
    }
    assert set(got) == set(expected)
    for key, values in expected.items():
        assert got[key][0] == values[0], key
        for index in range(1, len(VALUE_COLUMNS)):
            if VALUE_COLUMNS[index].endswith("_sum"):
                assert got[key][index] == pytest.approx(values[index], rel=1e-9, abs=1e-6), key
            else:
                assert got[key][index] == values[index], (key, VALUE_COLUMNS[index])


def assert_registry_equals_the_readings() -> None:
    expected = {
        row["device_id"]: row
        for row in SensorReading.objects.values("device_id")
        .annotate(
            count=Count("id"),
            first=Min("created_at"),
            last=Max("created_at"),
            latest=Max("timestamp"),
        )
        .order_by()
    }
    devices = {device.device_id: device for device in Device.objects.all()}
    assert set(devices) == set(expected)
    for device_id, row in expected.items():
        device = devices[device_id]
        assert device.reading_count == row["count"]
        assert device.first_seen == row["first"]
        assert device.last_seen == row["last"]
        assert device.latest_timestamp == row["latest"]


def assert_aggregates_equal_the_readings() -> None:
    rows = list(SensorReading.objects.values("device_id", "timestamp", *METRICS))
    for device_id in [None, "a", "b"]:
        mine = [r for r in rows if device_id is None or r["device_id"] == device_id]
        stats = readings_stats(device_id=device_id)
        assert stats["count"] == len(mine)
        for metric in METRICS:
            assert stats[f"min_{metric}"] == min(r[metric] for r in mine)
            assert stats[f"max_{metric}"] == max(r[metric] for r in mine)
            average = sum(r[metric] for r in mine) / len(mine)
            assert stats[f"avg_{metric}"] == pytest.approx(average, rel=1e-9, abs=1e-9)
        buckets = readings_buckets(
            interval="1h",
            since=T0 - timedelta(hours=1),
            until=T0 + timedelta(days=4),
            tz=ZoneInfo("UTC"),
            device_id=device_id,
        )
        by_hour: dict[datetime, int] = {}
        for r in mine:
            hour = r["timestamp"].replace(minute=0, second=0, microsecond=0)
            by_hour[hour] = by_hour.get(hour, 0) + 1
        assert {b["bucket"]: b["count"] for b in buckets} == dict(sorted(by_hour.items()))


def corrupt() -> None:
    """Delete, change and invent rollup and registry rows."""
    minutes = list(
        ReadingRollup.objects.filter(period=MINUTE, device_id="a").values_list("id", flat=True)
    )
    ReadingRollup.objects.filter(id__in=minutes[::3]).delete()
    ReadingRollup.objects.filter(period=HOUR, device_id="b").delete()
    ReadingRollup.objects.filter(period=DAY, device_id="c").update(
        count=F("count") + 5, temperature_min=-1e9, power_max=1e9
    )
    ReadingRollup.objects.filter(period=HOUR, device_id="a").update(gas_sum=F("gas_sum") * 2)
    # The fleet's rows too: some gone, one day counted wrong, one invented.
    fleet_minutes = list(
        ReadingRollup.objects.filter(period=MINUTE, device_id=FLEET).values_list("id", flat=True)
    )
    ReadingRollup.objects.filter(id__in=fleet_minutes[::4]).delete()
    ReadingRollup.objects.filter(period=DAY, device_id=FLEET).update(count=F("count") * 3)
    ReadingRollup.objects.create(
        period=HOUR, device_id=FLEET, bucket=0, count=1, **dict.fromkeys(VALUE_COLUMNS[1:], 1.0)
    )
    first_day = int(T0.timestamp()) // DAY * DAY
    invented = dict.fromkeys(VALUE_COLUMNS[1:], 1.0)
    for period in (MINUTE, HOUR):
        # Inside the readings' days, where no reading of "b" is.
        ReadingRollup.objects.update_or_create(
            period=period, device_id="b", bucket=first_day + DAY, defaults={"count": 7, **invented}
        )
    Device.objects.filter(device_id="a").delete()
    Device.objects.filter(device_id="b").update(
        reading_count=1, first_seen=F("last_seen"), latest_timestamp=T0
    )
    Device.objects.filter(device_id="c").update(reading_count=10**6, last_seen=F("first_seen"))


def test_it_recomputes_corrupted_rollups_and_registry_rows(stored) -> None:
    corrupt()

    output = rebuild()

    assert "3 devices" in output
    assert_rollups_equal_the_readings()
    assert_registry_equals_the_readings()
    assert_aggregates_equal_the_readings()


def test_it_leaves_correct_rows_as_they_were(stored) -> None:
    assert_rollups_equal_the_readings()
    registry = list(Device.objects.order_by("device_id").values_list(*DEVICE_FIELDS))

    rebuild()

    assert_rollups_equal_the_readings()
    assert list(Device.objects.order_by("device_id").values_list(*DEVICE_FIELDS)) == registry


def test_running_it_twice_changes_nothing_more(stored) -> None:
    corrupt()

    rebuild()
    rollups = sorted(ReadingRollup.objects.values_list(*ROLLUP_FIELDS))
    registry = list(Device.objects.order_by("device_id").values_list(*DEVICE_FIELDS))
    rebuild()

    assert sorted(ReadingRollup.objects.values_list(*ROLLUP_FIELDS)) == rollups
    assert list(Device.objects.order_by("device_id").values_list(*DEVICE_FIELDS)) == registry
    assert_rollups_equal_the_readings()
    assert_aggregates_equal_the_readings()


def test_it_rebuilds_from_nothing(stored) -> None:
    ReadingRollup.objects.all().delete()
    Device.objects.all().delete()

    rebuild()

    assert_rollups_equal_the_readings()
    assert_registry_equals_the_readings()
    assert_aggregates_equal_the_readings()


def test_the_ingest_adds_to_the_rebuilt_rows_afterwards(stored) -> None:
    corrupt()
    rebuild()
    late = T0 + timedelta(hours=5, seconds=1)

    readings_store(readings=[Reading("a", 1.0, 2.0, 3.0, 4.0, late)])
    readings_store(readings=[Reading("new", 1.0, 2.0, 3.0, 4.0, late)])

    assert_rollups_equal_the_readings()
    assert_registry_equals_the_readings()
    assert_aggregates_equal_the_readings()


def test_an_empty_database_rebuilds_to_nothing() -> None:
    output = rebuild()

    assert "0 devices" in output
    assert not ReadingRollup.objects.exists()
    assert not Device.objects.exists()


def test_it_draws_no_progress_bar_when_not_on_a_terminal(stored) -> None:
    out, err = io.StringIO(), io.StringIO()

    call_command("rebuild_rollups", stdout=out, stderr=err)

    assert "device/s" not in err.getvalue()
    assert "%|" not in err.getvalue()


@pytest.mark.parametrize("microsecond", [0, 499999, 999499, 999500, 999999])
def test_a_reading_is_rebuilt_into_its_own_minute_hour_and_day(microsecond) -> None:
    # The last instant of a day: every period's bucket changes a microsecond later.
    moment = datetime(2026, 3, 1, 23, 59, 59, microsecond, tzinfo=UTC)
    readings_store(readings=[Reading("edge", 1.0, 1.0, 1.0, 1.0, moment)])
    ReadingRollup.objects.all().delete()

    rebuild()

    minute = int(moment.timestamp()) // 60 * 60
    expected = [(MINUTE, minute), (HOUR, minute // HOUR * HOUR), (DAY, minute // DAY * DAY)]
    for device_id in ("edge", FLEET):
        rows = ReadingRollup.objects.filter(device_id=device_id)
        assert sorted(rows.values_list("period", "bucket")) == expected
    day = datetime(2026, 3, 1, tzinfo=UTC)
    assert readings_stats(since=day, until=day + timedelta(days=1))["count"] == 1
