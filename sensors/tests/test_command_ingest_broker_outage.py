"""The broker goes away, at start or mid-stream: the ingest retries and catches up."""

from __future__ import annotations

import pytest

from sensors.models import SensorReading
from sensors.tests.ingest_process import Publisher, readings, start_ingest, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_catches_up_after_the_broker_restarts_mid_stream(
    request, mosquitto, subprocess_env, tmp_path
):
    ingest = start_ingest(request, subprocess_env, tmp_path / "ingest.log")
    publisher = Publisher(mosquitto.host, mosquitto.port)
    publisher.publish(readings(1000))
    wait_until(lambda: SensorReading.objects.count() > 0, what="the first readings")

    mosquitto.stop()
    publisher.close()
    ingest.wait_for_log("Disconnected from the broker")
    mosquitto.start()
    publisher = Publisher(mosquitto.host, mosquitto.port)
    request.addfinalizer(publisher.close)
    publisher.publish(readings(1000, start=1000))

    wait_until(lambda: SensorReading.objects.count() == 2000, what="all 2000 readings")
    assert ingest.log().count("Subscribed to sensors/+/data") == 2
    assert ingest.terminate() == 0


def test_it_keeps_retrying_when_the_broker_is_down_at_start(
    request, mosquitto, subprocess_env, tmp_path
):
    mosquitto.stop()
    ingest = start_ingest(request, subprocess_env, tmp_path / "ingest.log", wait_subscribed=False)
    ingest.wait_for_log("Cannot connect")

    mosquitto.start()
    ingest.wait_for_log("Subscribed to sensors/+/data")
    publisher = Publisher(mosquitto.host, mosquitto.port)
    request.addfinalizer(publisher.close)
    publisher.publish(readings(10))

    wait_until(lambda: SensorReading.objects.count() == 10, what="10 readings")
    assert ingest.terminate() == 0


def test_messages_sent_while_it_is_away_are_kept_for_its_session(
    request, mosquitto, subprocess_env, tmp_path
):
    log = tmp_path / "ingest.log"
    ingest = start_ingest(request, subprocess_env, log)
    assert ingest.terminate() == 0
    publisher = Publisher(mosquitto.host, mosquitto.port)
    request.addfinalizer(publisher.close)

    publisher.publish(readings(3000))  # more than Mosquitto's default queue of 1000
    start_ingest(request, subprocess_env, log)

    wait_until(lambda: SensorReading.objects.count() == 3000, what="all 3000 readings")
