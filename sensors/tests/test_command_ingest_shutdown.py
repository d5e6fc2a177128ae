"""SIGTERM flushes and acknowledges; SIGKILL loses nothing and stores nothing twice."""

from __future__ import annotations

import pytest

from sensors.models import IngestWorker, SensorReading
from sensors.tests.ingest_process import open_publisher, readings, start_ingest, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_sigterm_writes_and_acknowledges_the_open_batch_then_exits_0(
    request, mosquitto, subprocess_env, tmp_path
):
    log = tmp_path / "ingest.log"
    # A batch that never fills or ages: only the shutdown writes it.
    slow = {"INGEST_BATCH_SIZE": 100000, "INGEST_BATCH_MAX_AGE_MS": 600000}
    ingest = start_ingest(request, subprocess_env, log, **slow)
    publisher = open_publisher(request, mosquitto)
    publisher.publish(readings(300))
    wait_until(lambda: IngestWorker.objects.filter(received=300).exists(), what="300 received")
    assert SensorReading.objects.count() == 0

    assert ingest.terminate() == 0

    assert SensorReading.objects.count() == 300
    assert "Stopped: 300 received, 300 stored" in ingest.log()
    # Acknowledged: after a restart on the same session nothing comes again.
    again = start_ingest(request, subprocess_env, log)
    publisher.publish(readings(1, start=1000))
    restarted = IngestWorker.objects.filter(pid=again.pid)
    wait_until(lambda: restarted.filter(stored__gte=1).exists(), what="the new reading stored")
    assert again.terminate() == 0
    assert restarted.get().received == 1
    assert SensorReading.objects.count() == 301


def test_sigkill_mid_stream_then_restart_stores_every_reading_exactly_once(
    request, mosquitto, subprocess_env, tmp_path
):
    log = tmp_path / "ingest.log"
    small = {"INGEST_BATCH_SIZE": 50, "INGEST_BATCH_MAX_AGE_MS": 20}
    ingest = start_ingest(request, subprocess_env, log, **small)
    publisher = open_publisher(request, mosquitto)
    publisher.publish(readings(500))
    wait_until(lambda: SensorReading.objects.count() >= 200, what="the first batches")
    for topic, payload in readings(2500, start=500):  # still streaming when it dies
        publisher.client.publish(topic, payload, qos=1)

    ingest.kill()
    start_ingest(request, subprocess_env, log, **small)

    wait_until(lambda: SensorReading.objects.count() == 3000, what="all 3000 readings")
    keys = set(SensorReading.objects.values_list("device_id", "timestamp"))
    assert len(keys) == 3000


def test_sigint_also_exits_0(request, mosquitto, subprocess_env, tmp_path):
    import signal

    ingest = start_ingest(request, subprocess_env, tmp_path / "ingest.log")

    ingest.process.send_signal(signal.SIGINT)

    assert ingest.process.wait(timeout=30) == 0
    assert "Received SIGINT, finishing" in ingest.log()
