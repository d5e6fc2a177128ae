"""mqtt_ingest as a process, against a real broker and the test database."""

from __future__ import annotations

import pytest

from sensors.models import DeadLetter, IngestWorker, SensorReading
from sensors.tests.ingest_process import (
    open_publisher,
    reading_payload,
    readings,
    start_ingest,
    wait_until,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_stores_valid_readings(request, mosquitto, subprocess_env, tmp_path):
    ingest = start_ingest(request, subprocess_env, tmp_path / "ingest.log")
    publisher = open_publisher(request, mosquitto)

    publisher.publish(readings(50, device_id="dev-a") + readings(50, device_id="dev-b"))

    wait_until(lambda: SensorReading.objects.count() == 100, what="100 readings")
    assert SensorReading.objects.filter(device_id="dev-b").count() == 50
    assert ingest.terminate() == 0


def test_it_rejects_invalid_messages_into_the_dead_letters(
    request, mosquitto, subprocess_env, tmp_path
):
    ingest = start_ingest(request, subprocess_env, tmp_path / "ingest.log")
    publisher = open_publisher(request, mosquitto)

    publisher.publish(
        [
            ("sensors/dev-1/data", b"not json"),
            ("sensors/dev-1/data", reading_payload(1, temperature="NaN")),
            ("sensors/bad id/data", reading_payload(2)),
            ("sensors/dev-1/data", reading_payload(3)),
        ]
    )

    wait_until(lambda: DeadLetter.objects.count() == 3, what="3 dead letters")
    wait_until(lambda: SensorReading.objects.count() == 1, what="the valid reading")
    assert ingest.terminate() == 0
    log = ingest.log()
    assert "WARNING" in log
    assert "Rejected message on sensors/dev-1/data" in log
    worker = IngestWorker.objects.get()
    assert (worker.received, worker.stored, worker.rejected) == (4, 1, 3)


def test_it_stores_a_duplicate_once_and_counts_it(request, mosquitto, subprocess_env, tmp_path):
    ingest = start_ingest(request, subprocess_env, tmp_path / "ingest.log")
    publisher = open_publisher(request, mosquitto)

    publisher.publish(readings(10) + readings(10))

    wait_until(
        lambda: IngestWorker.objects.filter(received=20, duplicates=10).exists(),
        what="a heartbeat counting 10 duplicates",
    )
    assert SensorReading.objects.count() == 10
    assert ingest.terminate() == 0


def test_it_reports_its_heartbeat(request, mosquitto, subprocess_env, tmp_path):
    start_ingest(request, subprocess_env, tmp_path / "ingest.log", MQTT_CLIENT_ID="worker-7")

    worker = wait_until(
        lambda: IngestWorker.objects.filter(client_id="worker-7", connected=True).first(),
        what="a connected heartbeat",
    )
    assert worker.pid
    assert worker.hostname
