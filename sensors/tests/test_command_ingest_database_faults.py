"""The database is locked, or its connection dropped: nothing is acknowledged
until it is stored, the ingest retries, and every reading is stored once."""

from __future__ import annotations

import sqlite3

import pytest
from django.db import connection

from sensors.models import IngestWorker, SensorReading
from sensors.tests.ingest_process import open_publisher, readings, start_ingest, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def engine() -> str:
    return connection.vendor


@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's file lock")
def test_it_waits_out_a_locked_sqlite_database(request, mosquitto, subprocess_env, tmp_path):
    # A short busy timeout, so that the ingest fails and retries while locked.
    subprocess_env["DATABASE_URL"] += "?timeout=1"
    ingest = start_ingest(request, subprocess_env, tmp_path / "ingest.log")
    publisher = open_publisher(request, mosquitto)
    publisher.publish(readings(100))
    wait_until(lambda: SensorReading.objects.count() == 100, what="the first readings")

    locker = sqlite3.connect(connection.settings_dict["NAME"], timeout=10, isolation_level=None)
    request.addfinalizer(locker.close)
    locker.execute("BEGIN EXCLUSIVE")
    publisher.publish(readings(500, start=100))
    ingest.wait_for_log("not acknowledged, retrying")
    locker.execute("COMMIT")

    wait_until(lambda: SensorReading.objects.count() == 600, what="all 600 readings")
    wait_until(
        lambda: "locked" in IngestWorker.objects.get().last_error, what="the error in the heartbeat"
    )
    assert ingest.terminate() == 0


@pytest.mark.skipif("connection.vendor == 'sqlite'", reason="SQLite has no server connection")
def test_it_reconnects_after_its_database_connection_is_killed(
    request, mosquitto, subprocess_env, tmp_path
):
    ingest = start_ingest(request, subprocess_env, tmp_path / "ingest.log")
    publisher = open_publisher(request, mosquitto)
    publisher.publish(readings(100))
    wait_until(lambda: SensorReading.objects.count() == 100, what="the first readings")

    killed = kill_other_connections()
    publisher.publish(readings(500, start=100))

    assert killed >= 1
    wait_until(lambda: SensorReading.objects.count() == 600, what="all 600 readings")
    assert ingest.terminate() == 0


def kill_other_connections() -> int:
    """End every other session on the test database (the ingest's)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return len(cursor.fetchall())
        cursor.execute(
            "SELECT id FROM information_schema.processlist "
            "WHERE db = DATABASE() AND id <> CONNECTION_ID()"
        )
        ids = [row[0] for row in cursor.fetchall()]
        for session_id in ids:
            cursor.execute(f"KILL CONNECTION {int(session_id)}")
        return len(ids)
