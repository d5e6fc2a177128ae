"""GET /api/sensors/aggregate: time buckets as CONTRACT §3 v2 describes them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from sensors.services import readings_store
from sensors.tests.readings_factory import iso
from sensors.validation import Reading

pytestmark = pytest.mark.django_db

METRICS = ["temperature", "vibration", "gas", "power"]
BUCKET_KEYS = {"bucket", "count"} | {
    f"{part}_{metric}" for metric in METRICS for part in ("avg", "min", "max")
}
INTERVAL_NAMES = ["1m", "5m", "15m", "1h", "6h", "1d"]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def store(moment: datetime, value: float = 1.0, device_id: str = "press-1") -> None:
    """One reading at ``moment`` whose four metrics derive from ``value``."""
    readings_store(readings=[Reading(device_id, value, value * 2, value + 100, -value, moment)])


def aggregate(client, **params):
    return client.get("/api/sensors/aggregate", {k: str(v) for k, v in params.items()})


def counts(response) -> dict[str, int]:
    assert response.status_code == 200, response.content
    return {bucket["bucket"]: bucket["count"] for bucket in response.json()["data"]}


def test_the_answer_has_the_contract_shape(client) -> None:
    store(utc(2026, 1, 29, 10, 0, 10), 1.0)
    store(utc(2026, 1, 29, 10, 0, 50), 3.0)
    store(utc(2026, 1, 29, 10, 2, 0), 5.0)

    response = aggregate(
        client, interval="1m", since="2026-01-29T10:00:00Z", until="2026-01-29T10:05:00Z"
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"device_id", "interval", "tz", "since", "until", "data"}
    assert body["device_id"] is None
    assert body["interval"] == "1m"
    assert body["tz"] == "UTC"
    assert body["since"] == "2026-01-29T10:00:00.000000Z"
    assert body["until"] == "2026-01-29T10:05:00.000000Z"
    first, second = body["data"]
    assert set(first) == BUCKET_KEYS
    assert set(second) == BUCKET_KEYS
    assert first == {
        "bucket": "2026-01-29T10:00:00.000000Z",
        "count": 2,
        "avg_temperature": 2.0,
        "min_temperature": 1.0,
        "max_temperature": 3.0,
        "avg_vibration": 4.0,
        "min_vibration": 2.0,
        "max_vibration": 6.0,
        "avg_gas": 102.0,
        "min_gas": 101.0,
        "max_gas": 103.0,
        "avg_power": -2.0,
        "min_power": -3.0,
        "max_power": -1.0,
    }
    assert second["bucket"] == "2026-01-29T10:02:00.000000Z"
    assert second["count"] == 1


def test_the_device_id_is_echoed_and_filters(client) -> None:
    store(utc(2026, 1, 29, 10, 0, 10), device_id="a")
    store(utc(2026, 1, 29, 10, 0, 20), device_id="a")
    store(utc(2026, 1, 29, 10, 0, 30), device_id="b")

    response = aggregate(
        client,
        interval="1h",
        device_id="a",
        since="2026-01-29T10:00:00Z",
        until="2026-01-29T11:00:00Z",
    )

    assert response.json()["device_id"] == "a"
    assert counts(response) == {"2026-01-29T10:00:00.000000Z": 2}


def test_since_and_until_in_epoch_seconds_are_echoed_as_iso(client) -> None:
    since = utc(2026, 1, 29, 10)
    response = aggregate(
        client, interval="1h", since=int(since.timestamp()), until=since.timestamp() + 3600.5
    )

    body = response.json()
    assert body["since"] == "2026-01-29T10:00:00.000000Z"
    assert body["until"] == "2026-01-29T11:00:00.500000Z"


def test_the_buckets_come_oldest_first_and_empty_ones_are_left_out(client) -> None:
    # Stored newest first on purpose.
    for minute in [59, 30, 3, 0]:
        store(utc(2026, 1, 29, 10, minute, 5))

    response = aggregate(
        client, interval="1m", since="2026-01-29T10:00:00Z", until="2026-01-29T11:00:00Z"
    )

    assert list(counts(response)) == [
        "2026-01-29T10:00:00.000000Z",
        "2026-01-29T10:03:00.000000Z",
        "2026-01-29T10:30:00.000000Z",
        "2026-01-29T10:59:00.000000Z",
    ]


def test_a_range_without_readings_has_no_buckets(client) -> None:
    store(utc(2026, 1, 29, 10, 0, 5))

    response = aggregate(
        client, interval="1h", since="2026-01-30T00:00:00Z", until="2026-01-31T00:00:00Z"
    )

    assert response.json()["data"] == []


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        ("5m", {"05:55": 1, "06:00": 2, "06:05": 1, "11:55": 1, "12:00": 1}),
        ("15m", {"05:45": 1, "06:00": 3, "11:45": 1, "12:00": 1}),
        ("1h", {"05:00": 1, "06:00": 3, "11:00": 1, "12:00": 1}),
        ("6h", {"00:00": 1, "06:00": 4, "12:00": 1}),
        ("1d", {"00:00": 6}),
    ],
)
def test_each_interval_groups_the_readings_into_its_buckets(client, interval, expected) -> None:
    for moment in [(5, 59, 59), (6, 0, 0), (6, 4, 59, 999999), (6, 5, 0), (11, 59), (12, 0)]:
        store(utc(2026, 1, 29, *moment))

    response = aggregate(
        client, interval=interval, since="2026-01-29T00:00:00Z", until="2026-01-30T00:00:00Z"
    )

    assert counts(response) == {
        f"2026-01-29T{hhmm}:00.000000Z": count for hhmm, count in expected.items()
    }


def test_an_edge_bucket_holds_only_the_readings_inside_the_range(client) -> None:
    store(utc(2026, 1, 29, 10, 0, 10), 1.0)
    store(utc(2026, 1, 29, 10, 0, 30), 2.0)
    store(utc(2026, 1, 29, 10, 0, 50), 3.0)
    store(utc(2026, 1, 29, 10, 30), 4.0)
    store(utc(2026, 1, 29, 10, 59, 59), 5.0)
    store(utc(2026, 1, 29, 11, 0, 1), 6.0)
    store(utc(2026, 1, 29, 11, 0, 40), 7.0)

    response = aggregate(
        client, interval="1h", since="2026-01-29T10:00:20Z", until="2026-01-29T11:00:30Z"
    )

    data = response.json()["data"]
    assert [(b["bucket"], b["count"]) for b in data] == [
        ("2026-01-29T10:00:00.000000Z", 4),
        ("2026-01-29T11:00:00.000000Z", 1),
    ]
    assert (data[0]["min_temperature"], data[0]["max_temperature"]) == (2.0, 5.0)
    assert data[0]["avg_temperature"] == pytest.approx(3.5)
    assert data[1]["min_temperature"] == data[1]["max_temperature"] == 6.0


def test_since_and_until_inside_one_minute_cut_it(client) -> None:
    for second in [5, 10, 15, 20]:
        store(utc(2026, 1, 29, 10, 0, second), float(second))

    response = aggregate(
        client, interval="1d", since="2026-01-29T10:00:10Z", until="2026-01-29T10:00:20Z"
    )

    [bucket] = response.json()["data"]
    assert bucket["bucket"] == "2026-01-29T00:00:00.000000Z"
    assert bucket["count"] == 2
    assert (bucket["min_temperature"], bucket["max_temperature"]) == (10.0, 15.0)


def test_since_is_inclusive_and_until_exclusive_to_the_microsecond(client) -> None:
    edge = utc(2026, 1, 29, 10, 0, 0) + timedelta(microseconds=123456)
    end = edge + timedelta(hours=2)
    store(edge - timedelta(microseconds=1), 1.0)
    store(edge, 2.0)
    store(end - timedelta(microseconds=1), 3.0)
    store(end, 4.0)

    response = aggregate(client, interval="1d", since=iso(edge), until=iso(end))

    [bucket] = response.json()["data"]
    assert bucket["count"] == 2
    assert (bucket["min_temperature"], bucket["max_temperature"]) == (2.0, 3.0)


def test_a_day_in_kolkata_starts_at_local_midnight(client) -> None:
    store(utc(2026, 1, 28, 18, 29, 59), 1.0)  # 23:59:59 on the 28th in Kolkata
    store(utc(2026, 1, 29, 0, 0, 0), 2.0)  # 05:30 on the 29th
    store(utc(2026, 1, 29, 18, 29, 59, 999999), 3.0)  # just before midnight
    store(utc(2026, 1, 29, 18, 30, 0), 4.0)  # midnight, the 30th

    response = aggregate(
        client,
        interval="1d",
        tz="Asia/Kolkata",
        since="2026-01-29T00:00:00Z",
        until="2026-01-31T00:00:00Z",
    )

    assert response.json()["tz"] == "Asia/Kolkata"
    assert counts(response) == {
        "2026-01-28T18:30:00.000000Z": 2,
        "2026-01-29T18:30:00.000000Z": 1,
    }


def test_the_day_europe_springs_forward_is_23_hours_long_in_berlin(client) -> None:
    store(utc(2026, 3, 28, 22, 59, 59), 1.0)  # 23:59:59 CET on the 28th
    store(utc(2026, 3, 28, 23, 0, 0), 2.0)  # 00:00 CET on the 29th
    store(utc(2026, 3, 29, 21, 59, 59), 3.0)  # 23:59:59 CEST on the 29th
    store(utc(2026, 3, 29, 22, 0, 0), 4.0)  # 00:00 CEST on the 30th

    response = aggregate(
        client,
        interval="1d",
        tz="Europe/Berlin",
        since="2026-03-28T00:00:00Z",
        until="2026-03-31T00:00:00Z",
    )

    assert counts(response) == {
        "2026-03-27T23:00:00.000000Z": 1,
        "2026-03-28T23:00:00.000000Z": 2,
        "2026-03-29T22:00:00.000000Z": 1,
    }


def test_the_day_europe_falls_back_is_25_hours_long_in_berlin(client) -> None:
    store(utc(2026, 10, 24, 21, 59, 59), 1.0)  # 23:59:59 CEST on the 24th
    store(utc(2026, 10, 24, 22, 0, 0), 2.0)  # 00:00 CEST on the 25th
    store(utc(2026, 10, 25, 22, 59, 59), 3.0)  # 23:59:59 CET on the 25th
    store(utc(2026, 10, 25, 23, 0, 0), 4.0)  # 00:00 CET on the 26th

    response = aggregate(
        client,
        interval="1d",
        tz="Europe/Berlin",
        since="2026-10-24T12:00:00Z",
        until="2026-10-27T00:00:00Z",
    )

    assert counts(response) == {
        "2026-10-23T22:00:00.000000Z": 1,
        "2026-10-24T22:00:00.000000Z": 2,
        "2026-10-25T23:00:00.000000Z": 1,
    }


def test_tz_changes_only_day_buckets(client) -> None:
    store(utc(2026, 1, 29, 10, 0, 5))
    store(utc(2026, 1, 29, 10, 40, 5))

    response = aggregate(
        client,
        interval="1h",
        tz="Asia/Kolkata",
        since="2026-01-29T00:00:00Z",
        until="2026-01-30T00:00:00Z",
    )

    assert counts(response) == {"2026-01-29T10:00:00.000000Z": 2}


def test_without_since_and_until_it_covers_the_24_hours_before_now(client) -> None:
    now = timezone.now()
    store(now - timedelta(hours=1), 1.0)
    store(now - timedelta(hours=23), 2.0)
    store(now - timedelta(hours=25), 3.0)

    response = aggregate(client, interval="1h")

    body = response.json()
    since = datetime.fromisoformat(body["since"].replace("Z", "+00:00"))
    until = datetime.fromisoformat(body["until"].replace("Z", "+00:00"))
    assert until - since == timedelta(hours=24)
    assert now <= until <= timezone.now()
    assert sum(b["count"] for b in body["data"]) == 2
    assert len(body["data"]) == 2


def test_since_alone_covers_the_24_hours_after_it(client) -> None:
    store(utc(2026, 1, 29, 23, 59, 59))
    store(utc(2026, 1, 30, 0, 0, 0))

    body = aggregate(client, interval="1d", since="2026-01-29T00:00:00Z").json()

    assert body["until"] == "2026-01-30T00:00:00.000000Z"
    assert [b["count"] for b in body["data"]] == [1]


def test_until_alone_covers_the_24_hours_before_it(client) -> None:
    store(utc(2026, 1, 28, 23, 59, 59))
    store(utc(2026, 1, 29, 0, 0, 0))

    body = aggregate(client, interval="1d", until="2026-01-30T00:00:00Z").json()

    assert body["since"] == "2026-01-29T00:00:00.000000Z"
    assert [b["count"] for b in body["data"]] == [1]


def test_an_empty_range_has_no_buckets(client) -> None:
    store(utc(2026, 1, 29, 10))

    response = aggregate(
        client, interval="1m", since="2026-01-29T10:00:00Z", until="2026-01-29T10:00:00Z"
    )

    assert response.status_code == 200
    assert response.json()["data"] == []


def assert_400_naming(response, name: str) -> str:
    assert response.status_code == 400, response.content
    body = response.json()
    assert f"'{name}'" in body["message"]
    assert list(body["errors"]) == [name]
    return body["message"]


def test_a_missing_interval_is_a_400_naming_it(client) -> None:
    assert_400_naming(aggregate(client), "interval")


@pytest.mark.parametrize("interval", ["2m", "1H", "60", "1w", " 1h", "1h ", "", "1d\x00"])
def test_an_unknown_interval_is_a_400_naming_it(client, interval) -> None:
    response = client.get("/api/sensors/aggregate", {"interval": interval})

    assert_400_naming(response, "interval")


@pytest.mark.parametrize(
    "tz", ["Mars/Olympus_Mons", "utc+1", "../../etc/passwd", "/etc/localtime", "+05:30", "x" * 80]
)
def test_an_unknown_time_zone_is_a_400_naming_it(client, tz) -> None:
    assert_400_naming(aggregate(client, interval="1h", tz=tz), "tz")


@pytest.mark.parametrize(("name", "value"), [("since", "yesterday"), ("until", "nan")])
def test_a_bad_bound_is_a_400_naming_it(client, name, value) -> None:
    assert_400_naming(aggregate(client, interval="1h", **{name: value}), name)


def test_since_after_until_is_a_400(client) -> None:
    response = aggregate(
        client, interval="1h", since="2026-01-29T10:00:01Z", until="2026-01-29T10:00:00Z"
    )

    assert response.status_code == 400
    assert "since" in response.json()["message"]
    assert "until" in response.json()["message"]


def test_ten_thousand_buckets_are_allowed(client) -> None:
    since = utc(2026, 1, 1)

    response = aggregate(
        client, interval="1m", since=iso(since), until=iso(since + timedelta(minutes=10_000))
    )

    assert response.status_code == 200


def test_ten_thousand_and_one_buckets_are_a_400_naming_interval(client) -> None:
    since = utc(2026, 1, 1)
    until = since + timedelta(minutes=10_000, microseconds=1)

    assert_400_naming(
        aggregate(client, interval="1m", since=iso(since), until=iso(until)), "interval"
    )


def test_too_many_day_buckets_are_a_400_naming_interval(client) -> None:
    since = utc(2000, 1, 1)

    response = aggregate(
        client, interval="1d", since=iso(since), until=iso(since + timedelta(days=10_001))
    )

    assert_400_naming(response, "interval")


def test_ten_thousand_day_buckets_are_allowed(client) -> None:
    since = utc(2000, 1, 1)

    response = aggregate(
        client, interval="1d", since=iso(since), until=iso(since + timedelta(days=10_000))
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("interval", "span", "fits"),
    [
        ("1m", timedelta(days=31), "5m"),
        ("1m", timedelta(days=100), "15m"),
        ("5m", timedelta(days=365), "1h"),
        ("1h", timedelta(days=3 * 365), "6h"),
        ("15m", timedelta(days=5 * 365), "6h"),
    ],
)
def test_too_many_buckets_suggest_an_interval_that_fits(client, interval, span, fits) -> None:
    since = utc(2025, 1, 1)
    until = since + span

    message = assert_400_naming(
        aggregate(client, interval=interval, since=iso(since), until=iso(until)), "interval"
    )

    suggested = [
        name for name in re.findall(r"(?<![\w.])(\d+[mhd])\b", message) if name in INTERVAL_NAMES
    ]
    assert suggested == [fits], message
    assert aggregate(client, interval=fits, since=iso(since), until=iso(until)).status_code == 200
