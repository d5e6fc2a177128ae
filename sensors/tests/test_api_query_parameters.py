"""Bad query parameters answer 400 naming the parameter; unknown ones are ignored."""

from __future__ import annotations

import pytest

from sensors.tests.readings_factory import add_reading

pytestmark = pytest.mark.django_db

ENDPOINTS = ["latest", "history", "stats", "ml-data"]

BAD_FILTERS = [
    ("device_id", "press 1"),
    ("device_id", " press-1"),
    ("device_id", "press-1\n"),
    ("device_id", "x" * 65),
    ("device_id", "préss"),
    ("device_id", "press/1"),
    ("since", "yesterday"),
    ("since", "2026-13-01"),
    ("since", "2026-01-29T25:00:00"),
    ("since", "1e9"),
    ("since", "nan"),
    ("since", "١٢"),
    ("since", "inf"),
    ("since", "99999999999999999999"),
    ("since", "-99999999999999999999"),
    ("since", "0001-01-01T00:00:00+01:00"),
    ("until", "not-a-date"),
    ("until", "1769697045,5"),
    ("until", "9999-12-31T23:59:59-01:00"),
]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(("name", "value"), BAD_FILTERS)
def test_a_bad_filter_is_a_400_naming_it(client, endpoint: str, name: str, value: str) -> None:
    response = client.get(f"/api/sensors/{endpoint}", {name: value})

    assert response.status_code == 400
    body = response.json()
    assert f"'{name}'" in body["message"]
    assert list(body["errors"]) == [name]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_since_after_until_is_a_400(client, endpoint: str) -> None:
    response = client.get(
        f"/api/sensors/{endpoint}",
        {"since": "2026-01-29T14:30:46Z", "until": "2026-01-29T14:30:45Z"},
    )

    assert response.status_code == 400
    assert "'since'" in response.json()["message"]
    assert "until" in response.json()["message"]


@pytest.mark.parametrize(
    ("endpoint", "name", "value"),
    [
        ("history", "limit", "0"),
        ("history", "limit", "10001"),
        ("history", "limit", "-1"),
        ("history", "limit", "abc"),
        ("history", "limit", "1.5"),
        ("history", "limit", "9" * 40),
        ("history", "offset", "-1"),
        ("history", "offset", "x"),
        ("history", "offset", "9" * 25),
        ("history", "offset", str(2**63)),
        ("ml-data", "limit", "0"),
        ("ml-data", "limit", "100001"),
        ("ml-data", "limit", "many"),
        ("ml-data", "format", "xml"),
        ("ml-data", "format", "CSV"),
    ],
)
def test_a_bad_page_or_format_is_a_400_naming_it(client, endpoint, name, value) -> None:
    response = client.get(f"/api/sensors/{endpoint}", {name: value})

    assert response.status_code == 400
    assert f"'{name}'" in response.json()["message"]
    assert name in response.json()["errors"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_an_empty_parameter_counts_as_absent(client, endpoint: str) -> None:
    add_reading()
    params = {"device_id": "", "since": "", "until": "", "limit": "", "offset": "", "format": ""}

    response = client.get(f"/api/sensors/{endpoint}", params)

    assert response.status_code == 200
    assert response.json()["device_id"] is None if endpoint != "latest" else True


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_unknown_parameters_are_ignored(client, endpoint: str) -> None:
    add_reading()

    response = client.get(f"/api/sensors/{endpoint}", {"colour": "blue", "page": "x"})

    assert response.status_code == 200


@pytest.mark.parametrize("endpoint", ["latest", "history", "stats"])
def test_a_format_parameter_is_ignored_where_it_means_nothing(client, endpoint: str) -> None:
    add_reading()

    response = client.get(f"/api/sensors/{endpoint}", {"format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_the_last_of_repeated_parameters_wins(client) -> None:
    add_reading()

    response = client.get("/api/sensors/history?limit=abc&limit=5")

    assert response.json()["limit"] == 5


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_only_get_is_allowed(client, endpoint: str) -> None:
    response = client.post(f"/api/sensors/{endpoint}", {})

    assert response.status_code == 405
    assert "message" in response.json()
