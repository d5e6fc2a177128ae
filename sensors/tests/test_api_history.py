"""GET /api/sensors/history."""

from __future__ import annotations

import pytest

from sensors.models import SensorReading
from sensors.tests.readings_factory import T0, add_reading, iso

pytestmark = pytest.mark.django_db


def test_it_returns_readings_newest_first_with_the_page_it_was_asked_for(client) -> None:
    readings = [add_reading(f"press-{i % 2}", seconds=i, temperature=i) for i in range(5)]

    response = client.get("/api/sensors/history")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5
    assert body["limit"] == 100
    assert body["offset"] == 0
    assert body["device_id"] is None
    assert [row["id"] for row in body["data"]] == [r.id for r in reversed(readings)]
    assert body["data"][0] == {
        "id": readings[4].id,
        "device_id": "press-0",
        "temperature": 4.0,
        "vibration": 1.0,
        "gas": 400.0,
        "power": 250.0,
        "timestamp": iso(readings[4].timestamp),
        "created_at": iso(readings[4].created_at),
    }


def test_it_pages_with_limit_and_offset(client) -> None:
    readings = [add_reading(seconds=i) for i in range(10)]

    body = client.get("/api/sensors/history", {"limit": 3, "offset": 2}).json()

    assert body["count"] == 3
    assert body["limit"] == 3
    assert body["offset"] == 2
    assert [row["id"] for row in body["data"]] == [readings[7].id, readings[6].id, readings[5].id]


def test_it_returns_an_empty_page_past_the_end(client) -> None:
    add_reading()

    body = client.get("/api/sensors/history", {"offset": 5}).json()

    assert body["count"] == 0
    assert body["data"] == []


def test_it_filters_by_device_and_echoes_it(client) -> None:
    add_reading("press-1", seconds=0)
    wanted = [add_reading("press-2", seconds=i) for i in (1, 2)]
    add_reading("press-1", seconds=3)

    body = client.get("/api/sensors/history", {"device_id": "press-2"}).json()

    assert body["device_id"] == "press-2"
    assert [row["id"] for row in body["data"]] == [wanted[1].id, wanted[0].id]


def test_it_orders_readings_of_the_same_instant_by_newest_id(client) -> None:
    first = add_reading("press-1")
    second = add_reading("press-2")

    body = client.get("/api/sensors/history").json()

    assert [row["id"] for row in body["data"]] == [second.id, first.id]


def test_it_returns_100_readings_by_default(client) -> None:
    SensorReading.objects.bulk_create(
        SensorReading(
            device_id="press-1",
            temperature=1,
            vibration=1,
            gas=1,
            power=1,
            timestamp=T0.replace(microsecond=i),
        )
        for i in range(101)
    )

    body = client.get("/api/sensors/history").json()

    assert body["count"] == 100
    assert body["data"][0]["timestamp"] == "2026-01-29T14:30:45.000100Z"


def test_it_accepts_the_largest_limit(client) -> None:
    add_reading()

    assert client.get("/api/sensors/history", {"limit": 10000}).json()["limit"] == 10000
