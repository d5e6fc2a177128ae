"""Through the real ingest, broker and database: /api/health tells the truth about it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from django.db import connection

from sensors.models import SensorReading
from sensors.tests.ingest_process import open_publisher, readings, start_ingest, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def health_status(client) -> tuple[str, str]:
    body = client.get("/api/health").json()
    return body["status"], body.get("reason", "")


@contextlib.contextmanager
def readings_table_gone() -> Iterator[None]:
    """The readings table renamed away: a write that waiting (for an operator) mends."""
    table = SensorReading._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table}_away RENAME TO {table}")


def test_it_is_degraded_while_the_broker_is_down_and_healthy_again_after(
    request, client, mosquitto, subprocess_env, tmp_path
):
    start_ingest(request, subprocess_env, tmp_path / "ingest.log")
    wait_until(lambda: health_status(client)[0] == "healthy", what="healthy")

    mosquitto.stop()
    _, reason = wait_until(
        lambda: (s := health_status(client))[0] == "degraded" and s, what="degraded"
    )
    assert "not connected to the broker" in reason

    mosquitto.start()
    wait_until(lambda: health_status(client)[0] == "healthy", what="healthy again")


def test_it_is_degraded_while_readings_cannot_be_stored_and_nothing_is_lost(
    request, client, mosquitto, subprocess_env, tmp_path
):
    ingest = start_ingest(request, subprocess_env, tmp_path / "ingest.log")
    publisher = open_publisher(request, mosquitto)

    with readings_table_gone():
        publisher.publish(readings(20))
        _, reason = wait_until(
            lambda: (s := health_status(client))[0] == "degraded" and s,
            what="degraded after three heartbeats",
        )
        assert "has not been able to store 20 message(s)" in reason
        assert ingest.running

    wait_until(lambda: SensorReading.objects.count() == 20, what="the 20 readings")
    wait_until(lambda: health_status(client)[0] == "healthy", what="healthy again")
    assert "dead" not in ingest.log().lower()
