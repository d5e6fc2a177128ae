"""GET /api/sensors/export as CSV, the default format."""

from __future__ import annotations

import pytest

from sensors.tests.export_helpers import as_csv_row, body_of, by_time, csv_rows
from sensors.tests.readings_factory import add_reading

pytestmark = pytest.mark.django_db

HEADER = b"id,device_id,temperature,vibration,gas,power,timestamp,created_at\n"


def test_it_streams_every_reading_oldest_first_as_csv(client) -> None:
    readings = [
        add_reading(f"press-{i % 2}", seconds=i, temperature=20 + i / 3, gas=1e-05 * i)
        for i in (3, 0, 5, 1, 4, 2)
    ]

    response = client.get("/api/sensors/export")

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="sensor-readings.csv"'
    assert csv_rows(response) == [as_csv_row(r) for r in by_time(readings)]


def test_it_starts_with_the_header_of_the_contract(client) -> None:
    add_reading()

    body = body_of(client.get("/api/sensors/export", {"format": "csv"}))

    assert body.startswith(HEADER)
    assert body.endswith(b"\n")


def test_it_sends_only_the_header_when_no_reading_matches(client) -> None:
    response = client.get("/api/sensors/export")

    assert response.status_code == 200
    assert body_of(response) == HEADER
