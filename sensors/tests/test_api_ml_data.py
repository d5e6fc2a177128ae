"""GET /api/sensors/ml-data in its three formats."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from sensors.tests.readings_factory import T0, add_reading, iso

pytestmark = pytest.mark.django_db


@pytest.fixture
def readings() -> list:
    """Six readings of two devices, stored out of time order."""
    return [
        add_reading(f"press-{i % 2}", seconds=i, temperature=20 + i, vibration=i, gas=400 + i)
        for i in (3, 0, 5, 1, 4, 2)
    ]


def by_time(readings: list) -> list:
    return sorted(readings, key=lambda reading: reading.timestamp)


def test_it_returns_the_most_recent_readings_oldest_first_as_columns(client, readings) -> None:
    response = client.get("/api/sensors/ml-data", {"limit": 4})

    assert response.status_code == 200
    body = response.json()
    expected = by_time(readings)[-4:]
    assert body["sample_count"] == 4
    assert body["device_id"] is None
    assert body["data"] == {
        "timestamps": [iso(r.timestamp) for r in expected],
        "temperatures": [r.temperature for r in expected],
        "vibrations": [r.vibration for r in expected],
        "gases": [r.gas for r in expected],
        "powers": [r.power for r in expected],
        "device_ids": [r.device_id for r in expected],
    }


def test_it_returns_1000_readings_by_default_and_all_when_fewer(client, readings) -> None:
    body = client.get("/api/sensors/ml-data").json()

    assert body["sample_count"] == 6
    assert all(len(column) == 6 for column in body["data"].values())


def test_it_filters_by_device_and_echoes_it(client, readings) -> None:
    body = client.get("/api/sensors/ml-data", {"device_id": "press-1"}).json()

    assert body["device_id"] == "press-1"
    assert body["data"]["device_ids"] == ["press-1"] * 3
    assert body["data"]["temperatures"] == [21.0, 23.0, 25.0]


def test_it_returns_empty_columns_when_there_is_no_reading(client) -> None:
    body = client.get("/api/sensors/ml-data").json()

    assert body["sample_count"] == 0
    assert all(column == [] for column in body["data"].values())


def test_it_accepts_the_largest_limit(client, readings) -> None:
    assert client.get("/api/sensors/ml-data", {"limit": 100000}).json()["sample_count"] == 6


def test_it_sends_a_csv_file_with_a_header_row(client, readings) -> None:
    response = client.get("/api/sensors/ml-data", {"format": "csv", "limit": 4})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="sensor-readings.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    expected = by_time(readings)[-4:]
    assert rows == [
        {
            "timestamp": iso(r.timestamp),
            "device_id": r.device_id,
            "temperature": str(float(r.temperature)),
            "vibration": str(float(r.vibration)),
            "gas": str(float(r.gas)),
            "power": str(float(r.power)),
        }
        for r in expected
    ]


def test_it_sends_a_csv_file_with_only_the_header_when_there_is_no_reading(client) -> None:
    response = client.get("/api/sensors/ml-data", {"format": "csv"})

    assert response.content == b"timestamp,device_id,temperature,vibration,gas,power\n"


def test_it_sends_an_npz_file_that_numpy_loads_without_pickle(client, readings) -> None:
    response = client.get("/api/sensors/ml-data", {"format": "npz", "limit": 4})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="sensor-readings.npz"'
    arrays = np.load(io.BytesIO(response.content), allow_pickle=False)
    expected = by_time(readings)[-4:]
    assert sorted(arrays.files) == sorted(
        ["timestamps", "temperatures", "vibrations", "gases", "powers", "device_ids"]
    )
    assert arrays["timestamps"].dtype == np.dtype("datetime64[us]")
    assert arrays["timestamps"].tolist() == [r.timestamp.replace(tzinfo=None) for r in expected]
    assert arrays["temperatures"].dtype == np.float64
    assert arrays["temperatures"].tolist() == [r.temperature for r in expected]
    assert arrays["vibrations"].tolist() == [r.vibration for r in expected]
    assert arrays["gases"].tolist() == [r.gas for r in expected]
    assert arrays["powers"].tolist() == [r.power for r in expected]
    assert arrays["device_ids"].tolist() == [r.device_id for r in expected]


def test_it_sends_an_npz_file_of_empty_arrays_when_there_is_no_reading(client) -> None:
    response = client.get("/api/sensors/ml-data", {"format": "npz"})

    arrays = np.load(io.BytesIO(response.content), allow_pickle=False)
    assert all(arrays[name].shape == (0,) for name in arrays.files)
    assert arrays["timestamps"].dtype == np.dtype("datetime64[us]")


def test_it_answers_json_for_format_json(client, readings) -> None:
    response = client.get("/api/sensors/ml-data", {"format": "json"})

    assert response["Content-Type"] == "application/json"
    assert response.json()["sample_count"] == 6


def test_json_timestamps_written_by_the_database_match_the_api_s_format(client) -> None:
    """JSON writes its timestamps with numpy (read as PostgreSQL's binary
    values, or the others' text); whole seconds, one microsecond and any
    fraction look as in CSV."""
    whole = 1 - T0.microsecond / 1_000_000  # T0 + whole: the next whole second
    offsets = (whole, whole + 0.000001, whole + 0.5, whole + 7.123456, whole + 59.999999)
    stored = [add_reading("press-1", seconds=offset) for offset in offsets]

    json_timestamps = client.get("/api/sensors/ml-data").json()["data"]["timestamps"]
    csv_text = client.get("/api/sensors/ml-data?format=csv").content.decode()
    rows = list(csv.reader(io.StringIO(csv_text)))

    expected = [iso(reading.timestamp) for reading in by_time(stored)]
    assert json_timestamps == expected
    assert [row[0] for row in rows[1:]] == expected
    assert expected[0].endswith(":46.000000Z")
    assert expected[1].endswith(":46.000001Z")
