"""The ingest's /metrics against a real broker, database and ``mqtt_ingest`` process:
each count moves by exactly what was sent."""

from __future__ import annotations

import pytest

from autoforge.tests.prometheus_text import sample_value, scrape
from conftest import free_port
from control import services as control_services
from sensors.models import SensorReading
from sensors.tests.ingest_process import open_publisher, readings, start_ingest, wait_until

GOOD, DUPLICATES = 20, 5
BAD_READINGS = [
    ("sensors/dev-1/data", b"not json"),
    ("sensors/dev-1/data", b'{"temperature": 1, "vibration": 1, "gas": 1, "timestamp": 1e9}'),
    ("sensors/bad$id/data", b"{}"),
]
BAD_ANSWERS = [("control/dev-1/ack", b'{"id": "one", "status": "ok"}')]


@pytest.fixture
def metrics_ingest(request, mosquitto, subprocess_env, tmp_path):
    """An ingest serving its metrics on a free port; ``.url`` is where."""
    port = free_port()
    ingest = start_ingest(
        request, subprocess_env, tmp_path / "ingest.log", INGEST_METRICS_ADDRESS=f"127.0.0.1:{port}"
    )
    ingest.url = f"http://127.0.0.1:{port}/metrics"
    return ingest


def value(ingest, name: str, **labels: str) -> float | None:
    return sample_value(scrape(ingest.url), name, **labels)


def test_each_count_moves_by_exactly_what_was_sent(request, mosquitto, metrics_ingest) -> None:
    publisher = open_publisher(request, mosquitto)
    before = scrape(metrics_ingest.url)
    assert sample_value(before, "autoforge_ingest_messages_received_total") == 0

    publisher.publish(readings(GOOD))
    wait_until(lambda: SensorReading.objects.count() == GOOD, what="the good readings stored")
    publisher.publish(readings(DUPLICATES))
    publisher.publish(BAD_READINGS + BAD_ANSWERS)
    sent = GOOD + DUPLICATES + len(BAD_READINGS) + len(BAD_ANSWERS)

    def settled() -> str | None:
        text = scrape(metrics_ingest.url)
        received = sample_value(text, "autoforge_ingest_messages_received_total")
        rejected = sample_value(text, "autoforge_ingest_rejected_total")
        pending = sample_value(text, "autoforge_ingest_pending_messages")
        done = received == sent and rejected == len(BAD_READINGS) + len(BAD_ANSWERS)
        return text if done and pending == 0 else None

    text = wait_until(settled, what="every message counted and acknowledged")
    assert sample_value(text, "autoforge_ingest_readings_stored_total") == GOOD
    assert sample_value(text, "autoforge_ingest_duplicates_total") == DUPLICATES
    dead_letters = "autoforge_ingest_dead_letters_total"
    assert sample_value(text, dead_letters, reason="invalid_reading") == len(BAD_READINGS)
    assert sample_value(text, dead_letters, reason="invalid_answer") == len(BAD_ANSWERS)
    assert sample_value(text, dead_letters, reason="unstorable") == 0
    # Every reading passes through exactly one committed write.
    lag_count = sample_value(text, "autoforge_ingest_commit_lag_seconds_count")
    assert lag_count == GOOD + DUPLICATES
    assert sample_value(text, "autoforge_ingest_batch_write_seconds_count") >= 2
    assert sample_value(text, "autoforge_mqtt_connected") == 1
    assert "dev-1" not in text
    assert "bad$id" not in text


def test_connected_follows_the_broker_and_reconnects_are_counted(mosquitto, metrics_ingest) -> None:
    assert value(metrics_ingest, "autoforge_mqtt_connected") == 1
    assert value(metrics_ingest, "autoforge_mqtt_reconnects_total") == 0

    mosquitto.stop()
    wait_until(lambda: value(metrics_ingest, "autoforge_mqtt_connected") == 0, what="connected 0")
    assert value(metrics_ingest, "autoforge_mqtt_reconnects_total") == 0
    mosquitto.start()
    wait_until(lambda: value(metrics_ingest, "autoforge_mqtt_connected") == 1, what="connected 1")

    assert value(metrics_ingest, "autoforge_mqtt_reconnects_total") == 1
    assert metrics_ingest.terminate() == 0  # the metrics server stops with it


def test_commands_waiting_for_the_broker_are_the_outbox_depth(mosquitto, metrics_ingest) -> None:
    name = "autoforge_control_commands_pending"
    mosquitto.stop()
    wait_until(lambda: value(metrics_ingest, "autoforge_mqtt_connected") == 0, what="connected 0")

    for number in range(3):
        control_services.command_create(device_id="dev-1", command=f"c{number}", ttl_seconds=300)
    wait_until(lambda: value(metrics_ingest, name) == 3, what="3 commands pending")
    mosquitto.start()

    wait_until(lambda: value(metrics_ingest, name) == 0, what="the commands published")
