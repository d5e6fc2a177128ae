"""GET /api/health: the database for real, and the ingest workers' heartbeats."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from sensors.models import IngestWorker
from sensors.tests.readings_factory import iso


def add_worker(client_id: str, *, heartbeat_age: timedelta, **fields) -> IngestWorker:
    now = timezone.now()
    defaults = {
        "hostname": "edge-1",
        "pid": 4242,
        "connected": True,
        "started_at": now - timedelta(hours=1),
        "last_heartbeat": now - heartbeat_age,
        "received": 10,
        "stored": 8,
        "duplicates": 1,
        "rejected": 1,
        "last_error": "",
    }
    return IngestWorker.objects.create(client_id=client_id, **{**defaults, **fields})


@pytest.mark.django_db
def test_it_reports_healthy_with_the_database_vendor(client) -> None:
    response = client.get("/api/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["service"] == "AutoForge IoT Backend"
    assert body["version"] == "1.0.0"
    assert body["timestamp"].endswith("Z")
    assert body["database"] == {"status": "ok", "vendor": connection.vendor}
    assert body["ingest"] == {"workers": []}


@pytest.mark.django_db
def test_it_reports_a_live_worker_with_its_counts(client, settings) -> None:
    settings.INGEST_HEARTBEAT_SECONDS = 5
    worker = add_worker("ingest-a", heartbeat_age=timedelta(seconds=2), last_error="boom")

    workers = client.get("/api/health").json()["ingest"]["workers"]

    assert workers == [
        {
            "client_id": "ingest-a",
            "hostname": "edge-1",
            "pid": 4242,
            "connected": True,
            "stale": False,
            "last_heartbeat": iso(worker.last_heartbeat),
            "started_at": iso(worker.started_at),
            "received": 10,
            "stored": 8,
            "duplicates": 1,
            "rejected": 1,
            "pending": 0,
            "failing_since": None,
            "last_error": "boom",
        }
    ]


@pytest.mark.django_db
def test_it_reports_a_worker_silent_for_three_heartbeats_as_stale_and_not_connected(
    client, settings
) -> None:
    settings.INGEST_HEARTBEAT_SECONDS = 5
    add_worker("ingest-live", heartbeat_age=timedelta(seconds=14))
    add_worker("ingest-dead", heartbeat_age=timedelta(seconds=16))

    workers = client.get("/api/health").json()["ingest"]["workers"]

    assert [(w["client_id"], w["stale"], w["connected"]) for w in workers] == [
        ("ingest-live", False, True),
        ("ingest-dead", True, False),
    ]


@pytest.mark.django_db
def test_it_no_longer_reports_a_worker_silent_for_over_an_hour(client) -> None:
    add_worker("ingest-retired", heartbeat_age=timedelta(hours=1, seconds=1))
    add_worker("ingest-gone-a-while", heartbeat_age=timedelta(minutes=59))

    workers = client.get("/api/health").json()["ingest"]["workers"]

    assert [w["client_id"] for w in workers] == ["ingest-gone-a-while"]


@pytest.mark.django_db
def test_it_reports_a_disconnected_worker_as_disconnected(client) -> None:
    add_worker("ingest-a", heartbeat_age=timedelta(0), connected=False)

    worker = client.get("/api/health").json()["ingest"]["workers"][0]

    assert (worker["connected"], worker["stale"]) == (False, False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Outage:
    """The default connection pointed at a database that cannot be reached."""

    def __init__(self, tmp_path) -> None:
        self.saved = dict(connection.settings_dict)
        connection.close()
        broken = connection.settings_dict
        broken["PASSWORD"] = "s3cret-password"
        if connection.vendor == "sqlite":
            broken["NAME"] = str(tmp_path / "missing-folder" / "db.sqlite3")
        else:
            broken.update(HOST="127.0.0.1", PORT=str(free_port()))
            broken["OPTIONS"] = {**self.saved.get("OPTIONS", {}), "connect_timeout": 2}

    def end(self) -> None:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(self.saved)


@pytest.fixture
def outage(transactional_db, tmp_path) -> Iterator[Outage]:
    outage = Outage(tmp_path)
    try:
        yield outage
    finally:
        outage.end()


def test_it_answers_503_when_the_database_is_unreachable(client, outage) -> None:
    response = client.get("/api/health")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["service"] == "AutoForge IoT Backend"
    assert body["version"] == "1.0.0"
    assert body["database"]["status"] == "error"
    assert body["database"]["vendor"] == connection.vendor
    assert body["database"]["error"].startswith("OperationalError: ")
    assert body["ingest"] == {"workers": []}


def test_it_never_shows_the_database_password(client, outage) -> None:
    response = client.get("/api/health")

    assert response.status_code == 503
    assert b"s3cret-password" not in response.content


def test_it_is_healthy_again_when_the_database_is_back(client, outage) -> None:
    assert client.get("/api/health").status_code == 503

    outage.end()

    assert client.get("/api/health").status_code == 200


@pytest.mark.django_db
def test_it_is_never_throttled(client, settings) -> None:
    settings.API_THROTTLE_ANON = "2/min"

    assert [client.get("/api/sensors/stats").status_code for _ in range(3)] == [200, 200, 429]
    assert {client.get("/api/health").status_code for _ in range(5)} == {200}
