"""GET /api/health says "degraded", with a reason, while an ingest worker is not all well."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sensors.tests.test_api_health import add_worker

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _heartbeat_every_five_seconds(settings) -> None:
    settings.INGEST_HEARTBEAT_SECONDS = 5


def health(client) -> dict:
    response = client.get("/api/health")
    assert response.status_code == 200
    return response.json()


def test_it_is_healthy_while_every_worker_is_connected_and_storing(client):
    add_worker("ingest-a", heartbeat_age=timedelta(seconds=1))
    add_worker("ingest-b", heartbeat_age=timedelta(seconds=4), pending=120)

    body = health(client)

    assert body["status"] == "healthy"
    assert "reason" not in body


def test_it_is_degraded_while_a_worker_is_disconnected_from_the_broker(client):
    add_worker("ingest-a", heartbeat_age=timedelta(seconds=1))
    add_worker("ingest-b", heartbeat_age=timedelta(seconds=1), connected=False)

    body = health(client)

    assert body["status"] == "degraded"
    assert body["reason"] == "ingest worker 'ingest-b' is not connected to the broker"


def test_it_is_degraded_while_a_worker_has_stopped_reporting(client):
    add_worker("ingest-a", heartbeat_age=timedelta(seconds=16))

    body = health(client)

    assert body["status"] == "degraded"
    assert "'ingest-a' has stopped reporting" in body["reason"]


def test_it_is_degraded_once_a_worker_has_failed_to_store_for_three_heartbeats(client):
    since = timezone.now() - timedelta(seconds=16)
    add_worker("ingest-a", heartbeat_age=timedelta(seconds=1), failing_since=since, pending=42)

    body = health(client)

    assert body["status"] == "degraded"
    assert "'ingest-a' has not been able to store 42 message(s) since" in body["reason"]
    assert body["ingest"]["workers"][0]["failing_since"].endswith("Z")


def test_a_write_failure_younger_than_three_heartbeats_is_not_yet_degraded(client):
    since = timezone.now() - timedelta(seconds=10)
    add_worker("ingest-a", heartbeat_age=timedelta(seconds=1), failing_since=since, pending=3)

    assert health(client)["status"] == "healthy"


def test_every_reason_is_given(client):
    since = timezone.now() - timedelta(minutes=5)
    add_worker("ingest-a", heartbeat_age=timedelta(seconds=1), connected=False)
    add_worker("ingest-b", heartbeat_age=timedelta(seconds=1), failing_since=since)

    reason = health(client)["reason"]

    assert "'ingest-a' is not connected" in reason
    assert "'ingest-b' has not been able to store" in reason
