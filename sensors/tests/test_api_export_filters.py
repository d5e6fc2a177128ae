"""GET /api/sensors/export takes device_id, since and until like every /api/sensors endpoint."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sensors.tests.export_helpers import as_json, ndjson_rows
from sensors.tests.readings_factory import T0, add_reading, iso

pytestmark = pytest.mark.django_db


def test_it_exports_only_the_device_asked_for(client) -> None:
    wanted = [add_reading("press-2", seconds=i) for i in (1, 2)]
    add_reading("press-1", seconds=0)
    add_reading("press-1", seconds=3)

    response = client.get("/api/sensors/export", {"device_id": "press-2", "format": "ndjson"})

    assert ndjson_rows(response) == [as_json(r) for r in wanted]


def test_since_is_inclusive_and_until_exclusive(client) -> None:
    readings = [add_reading(seconds=i) for i in range(5)]

    response = client.get(
        "/api/sensors/export",
        {
            "since": iso(T0 + timedelta(seconds=1)),
            "until": iso(T0 + timedelta(seconds=4)),
            "format": "ndjson",
        },
    )

    assert ndjson_rows(response) == [as_json(r) for r in readings[1:4]]


def test_it_takes_epoch_seconds_and_a_device_together(client) -> None:
    add_reading("press-1", seconds=0)
    wanted = add_reading("press-1", seconds=10)
    add_reading("press-2", seconds=10)

    response = client.get(
        "/api/sensors/export",
        {"device_id": "press-1", "since": str(T0.timestamp() + 5), "format": "ndjson"},
    )

    assert ndjson_rows(response) == [as_json(wanted)]


@pytest.mark.parametrize("value", ["xml", "CSV", "json", "npz"])
def test_an_unknown_format_is_a_400_naming_format(client, value: str) -> None:
    response = client.get("/api/sensors/export", {"format": value})

    assert response.status_code == 400
    assert not response.streaming
    assert "'format'" in response.json()["message"]
    assert list(response.json()["errors"]) == ["format"]


@pytest.mark.parametrize(("name", "value"), [("device_id", "press 1"), ("since", "yesterday")])
def test_a_bad_filter_is_a_400_naming_it(client, name: str, value: str) -> None:
    response = client.get("/api/sensors/export", {name: value})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [name]
