"""Reading an export response back, for the export tests."""

from __future__ import annotations

import csv
import io
import json

from sensors.models import SensorReading
from sensors.tests.readings_factory import iso


def body_of(response) -> bytes:
    """The whole body of a streamed response."""
    assert response.streaming
    return b"".join(response.streaming_content)


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body_of(response).decode())))


def ndjson_rows(response) -> list[dict]:
    return [json.loads(line) for line in body_of(response).decode().splitlines()]


def as_csv_row(reading: SensorReading) -> dict:
    """A stored reading as the export's CSV writes it."""
    reading.refresh_from_db()
    return {
        "id": str(reading.id),
        "device_id": reading.device_id,
        "temperature": repr(float(reading.temperature)),
        "vibration": repr(float(reading.vibration)),
        "gas": repr(float(reading.gas)),
        "power": repr(float(reading.power)),
        "timestamp": iso(reading.timestamp),
        "created_at": iso(reading.created_at),
    }


def as_json(reading: SensorReading) -> dict:
    """A stored reading as the API's reading object."""
    reading.refresh_from_db()
    return {
        "id": reading.id,
        "device_id": reading.device_id,
        "temperature": reading.temperature,
        "vibration": reading.vibration,
        "gas": reading.gas,
        "power": reading.power,
        "timestamp": iso(reading.timestamp),
        "created_at": iso(reading.created_at),
    }


def by_time(readings: list[SensorReading]) -> list[SensorReading]:
    return sorted(readings, key=lambda reading: (reading.timestamp, reading.id))
