"""GET /api/sensors/export?format=ndjson."""

from __future__ import annotations

import pytest

from sensors.tests.export_helpers import as_json, body_of, by_time, ndjson_rows
from sensors.tests.readings_factory import add_reading

pytestmark = pytest.mark.django_db


def test_it_streams_one_reading_object_per_line_oldest_first(client) -> None:
    readings = [add_reading(f"press-{i % 3}", seconds=i, power=250 + i) for i in (2, 0, 1, 4, 3)]

    response = client.get("/api/sensors/export", {"format": "ndjson"})

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/x-ndjson"
    assert response["Content-Disposition"] == 'attachment; filename="sensor-readings.ndjson"'
    assert ndjson_rows(response) == [as_json(r) for r in by_time(readings)]


def test_every_line_ends_with_a_newline(client) -> None:
    add_reading(seconds=0)
    add_reading(seconds=1)

    body = body_of(client.get("/api/sensors/export", {"format": "ndjson"}))

    assert body.count(b"\n") == 2
    assert body.endswith(b"\n")


def test_it_sends_an_empty_body_when_no_reading_matches(client) -> None:
    response = client.get("/api/sensors/export", {"format": "ndjson"})

    assert response.status_code == 200
    assert body_of(response) == b""
