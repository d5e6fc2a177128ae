"""Two workers on one shared subscription split the stream; each reading is stored once."""

from __future__ import annotations

import pytest

from sensors.models import IngestWorker, SensorReading
from sensors.tests.ingest_process import open_publisher, readings, start_ingest, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_workers_split_one_stream(request, mosquitto, subprocess_env, tmp_path):
    group = {"MQTT_SHARED_GROUP": "autoforge"}
    first = start_ingest(request, subprocess_env, tmp_path / "a.log", MQTT_CLIENT_ID="w1", **group)
    second = start_ingest(request, subprocess_env, tmp_path / "b.log", MQTT_CLIENT_ID="w2", **group)
    assert "Subscribed to $share/autoforge/sensors/+/data" in first.log()
    publisher = open_publisher(request, mosquitto)

    publisher.publish(readings(1000, device_id="a") + readings(1000, device_id="b"))

    wait_until(lambda: SensorReading.objects.count() == 2000, what="all 2000 readings")
    assert first.terminate() == 0, first.log()[-20000:]
    assert second.terminate() == 0, second.log()[-20000:]
    workers = {worker.client_id: worker for worker in IngestWorker.objects.all()}
    assert workers["w1"].stored > 0
    assert workers["w2"].stored > 0
    assert workers["w1"].stored + workers["w2"].stored == 2000
    assert workers["w1"].duplicates + workers["w2"].duplicates == 0
