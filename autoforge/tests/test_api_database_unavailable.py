"""An unreachable database makes the API answer 503 with a JSON message, not 500."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def unreachable_database(transactional_db, tmp_path) -> Iterator[None]:
    """The default connection pointed at a database that cannot be reached."""
    saved = dict(connection.settings_dict)
    connection.close()
    broken = connection.settings_dict
    if connection.vendor == "sqlite":
        broken["NAME"] = str(tmp_path / "missing-folder" / "db.sqlite3")
    else:
        broken.update(HOST="127.0.0.1", PORT=str(free_port()))
        broken["OPTIONS"] = {**saved.get("OPTIONS", {}), "connect_timeout": 2}
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


@pytest.mark.parametrize(
    "path",
    [
        "/api/sensors/latest",
        "/api/sensors/history",
        "/api/sensors/stats",
        "/api/sensors/ml-data",
        "/api/sensors/ml-data?format=csv",
    ],
)
def test_a_read_answers_503_when_the_database_is_unreachable(
    client, unreachable_database, path: str
) -> None:
    response = client.get(path)

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"message": "The database is unavailable; try again later."}
    assert response["Retry-After"] == "5"


def test_a_token_request_answers_503_when_the_database_is_unreachable(
    client, transactional_db, django_user_model, request
) -> None:
    user = django_user_model.objects.create_user("operator")
    key = Token.objects.create(user=user).key
    request.getfixturevalue("unreachable_database")

    response = client.get("/api/control", HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 503
    assert "database" in response.json()["message"]
