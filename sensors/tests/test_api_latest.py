"""GET /api/sensors/latest."""

from __future__ import annotations

import pytest

from sensors.tests.readings_factory import T0, add_reading, iso

pytestmark = pytest.mark.django_db


def test_it_returns_the_newest_reading_of_all_devices(client) -> None:
    add_reading("press-1", seconds=0)
    newest = add_reading("press-2", seconds=5, temperature=31.5)
    add_reading("press-1", seconds=3)

    response = client.get("/api/sensors/latest")

    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "id": newest.id,
            "device_id": "press-2",
            "temperature": 31.5,
            "vibration": 1.0,
            "gas": 400.0,
            "power": 250.0,
            "timestamp": "2026-01-29T14:30:50.123456Z",
            "created_at": iso(newest.created_at),
        }
    }


def test_it_returns_the_newest_reading_of_one_device(client) -> None:
    add_reading("press-1", seconds=0)
    wanted = add_reading("press-1", seconds=3)
    add_reading("press-2", seconds=5)

    response = client.get("/api/sensors/latest", {"device_id": "press-1"})

    assert response.status_code == 200
    assert response.json()["data"]["id"] == wanted.id
    assert response.json()["data"]["timestamp"] == iso(T0.replace(second=48))


def test_it_breaks_a_timestamp_tie_between_devices_by_the_newest_id(client) -> None:
    add_reading("press-1", seconds=1)
    second = add_reading("press-2", seconds=1)

    assert client.get("/api/sensors/latest").json()["data"]["id"] == second.id


def test_it_answers_404_when_there_is_no_reading(client) -> None:
    response = client.get("/api/sensors/latest")

    assert response.status_code == 404
    assert response.json() == {"message": "No sensor readings found", "device_id": None}


def test_it_answers_404_echoing_the_device_when_that_device_has_no_reading(client) -> None:
    add_reading("press-1")

    response = client.get("/api/sensors/latest", {"device_id": "press-9"})

    assert response.status_code == 404
    assert response.json() == {"message": "No sensor readings found", "device_id": "press-9"}


def test_it_renders_timestamps_in_utc_with_microseconds(client) -> None:
    add_reading(seconds=-0.123456)

    data = client.get("/api/sensors/latest").json()["data"]

    assert data["timestamp"] == "2026-01-29T14:30:45.000000Z"
    assert data["created_at"].endswith("Z")
