"""since (inclusive) and until (exclusive) on every /api/sensors endpoint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sensors.tests.readings_factory import T0, add_reading

pytestmark = pytest.mark.django_db


def seconds_seen(client, endpoint: str, params: dict) -> list[float] | int:
    """Which readings (by their offset from T0) an endpoint answered with."""
    response = client.get(f"/api/sensors/{endpoint}", params)
    if endpoint == "latest":
        if response.status_code == 404:
            return []
        stamps = [response.json()["data"]["timestamp"]]
    elif endpoint == "history":
        stamps = [row["timestamp"] for row in response.json()["data"]]
    elif endpoint == "ml-data":
        stamps = response.json()["data"]["timestamps"]
    else:
        return response.json()["stats"]["count"]
    return sorted((datetime.fromisoformat(stamp) - T0).total_seconds() for stamp in stamps)


EXPECTED = {  # readings at T0 + 0, 1, 2, 3 s; the window is [T0 + 1 s, T0 + 3 s)
    "latest": [2.0],
    "history": [1.0, 2.0],
    "ml-data": [1.0, 2.0],
    "stats": 2,
}
ENDPOINTS = list(EXPECTED)


def epoch(moment: datetime) -> str:
    """Exact epoch seconds with microseconds, as a string."""
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return f"{delta.days * 86400 + delta.seconds}.{delta.microseconds:06d}"


@pytest.fixture
def four_readings() -> None:
    for second in range(4):
        add_reading("press-1", seconds=second)


WINDOWS = {
    "iso-utc-z": ("2026-01-29T14:30:46.123456Z", "2026-01-29T14:30:48.123456Z"),
    "iso-naive-is-utc": ("2026-01-29T14:30:46.123456", "2026-01-29T14:30:48.123456"),
    "iso-offset": ("2026-01-29T15:30:46.123456+01:00", "2026-01-29T09:30:48.123456-05:00"),
    "epoch": (epoch(T0 + timedelta(seconds=1)), epoch(T0 + timedelta(seconds=3))),
}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("window", list(WINDOWS))
def test_since_is_inclusive_and_until_exclusive(client, four_readings, endpoint, window) -> None:
    since, until = WINDOWS[window]

    assert seconds_seen(client, endpoint, {"since": since, "until": until}) == EXPECTED[endpoint]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_bounds_also_apply_with_a_device_filter(client, four_readings, endpoint) -> None:
    add_reading("press-2", seconds=1.5)
    since, until = WINDOWS["iso-utc-z"]

    params = {"since": since, "until": until, "device_id": "press-1"}
    assert seconds_seen(client, endpoint, params) == EXPECTED[endpoint]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_since_alone_is_a_lower_bound(client, four_readings, endpoint) -> None:
    seen = seconds_seen(client, endpoint, {"since": WINDOWS["epoch"][1]})

    assert seen == (1 if endpoint == "stats" else [3.0])


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_until_alone_is_an_upper_bound(client, four_readings, endpoint) -> None:
    seen = seconds_seen(client, endpoint, {"until": WINDOWS["epoch"][0]})

    assert seen == (1 if endpoint == "stats" else [0.0])


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_equal_since_and_until_select_nothing(client, four_readings, endpoint) -> None:
    moment = WINDOWS["iso-utc-z"][0]

    assert seconds_seen(client, endpoint, {"since": moment, "until": moment}) in ([], 0)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_whole_epoch_seconds_and_dates_are_accepted(client, four_readings, endpoint) -> None:
    params = {"since": "2026-01-29", "until": str(int(T0.timestamp()) + 1)}

    assert seconds_seen(client, endpoint, params) == (1 if endpoint == "stats" else [0.0])


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_an_unencoded_plus_of_an_offset_is_understood(client, four_readings, endpoint) -> None:
    # "?since=2026-01-29T15:30:46.123456+01:00" unencoded: the "+" arrives as a space.
    response = client.get(
        f"/api/sensors/{endpoint}?since=2026-01-29T15:30:46.123456+01:00"
        "&until=2026-01-29T15:30:48.123456+01:00"
    )

    assert response.status_code == 200


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_extreme_but_valid_bounds_select_everything(client, four_readings, endpoint) -> None:
    params = {"since": "1970-01-01T00:00:00Z", "until": "9999-12-31T00:00:00Z"}

    assert seconds_seen(client, endpoint, params) in (4, [3.0], [0.0, 1.0, 2.0, 3.0])
