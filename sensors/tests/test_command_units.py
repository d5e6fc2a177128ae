"""The command's units, called directly: no broker, no endless loop."""

from __future__ import annotations

import faulthandler
import signal
import threading
import time

import pytest

from sensors.management.commands.mqtt_ingest import GATHER_SECONDS, Command
from sensors.models import DeadLetter, IngestWorker, SensorReading
from sensors.mqtt import CONNECTED, DISCONNECTED, MESSAGE, PUBLISHED
from sensors.tests.ingest_process import reading_payload

pytestmark = pytest.mark.django_db


class FakeOutbox:
    ack_topic_filter = "control/+/ack"

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def tick(self, publish) -> None:
        self.calls.append(("tick", publish))

    def on_published(self, mid: int) -> bool:
        self.calls.append(("on_published", mid))
        return True

    def on_answer(self, topic: str, payload: bytes) -> None:
        self.calls.append(("on_answer", topic, payload))

    def on_disconnect(self) -> None:
        self.calls.append(("on_disconnect",))


@pytest.fixture(autouse=True)
def _keep_the_test_transaction(monkeypatch):
    # Between units the command drops stale connections; inside a test's
    # transaction that would end the transaction.
    monkeypatch.setattr(
        "sensors.management.commands.mqtt_ingest.close_old_connections", lambda: None
    )


@pytest.fixture
def command(settings) -> Command:
    settings.INGEST_BATCH_SIZE = 2
    command = Command()
    command.setup(outbox=FakeOutbox())
    return command


def message(topic: str, payload: bytes, mid: int) -> tuple:
    return (MESSAGE, topic, payload, mid, 1, 1)


def test_it_subscribes_to_the_sensor_and_answer_topics(command, settings):
    assert command.connection.options.topics == ("sensors/+/data", "control/+/ack")


def test_a_shared_group_prefixes_both_subscriptions(settings):
    settings.MQTT_SHARED_GROUP = "g"
    command = Command()
    command.setup(outbox=FakeOutbox())

    assert command.connection.options.topics == (
        "$share/g/sensors/+/data",
        "$share/g/control/+/ack",
    )


def test_one_loop_turn_stores_a_full_batch_and_frees_its_window(command):
    for mid in (1, 2):
        command.window.acquire()
        command.events.put(message("sensors/dev-1/data", reading_payload(mid), mid))

    command.run_once()

    assert SensorReading.objects.count() == 2
    assert command.ingest.pending == 0
    assert command.window.used == 0


def test_a_rejected_message_is_kept_as_a_dead_letter(command):
    command.events.put(message("sensors/dev-1/data", b"{", 1))
    command.events.put(message("sensors/dev-1/data", reading_payload(1), 2))
    command.events.put(message("sensors/dev-1/data", reading_payload(2), 3))

    command.run_once()
    command.run_once()

    assert DeadLetter.objects.count() == 1
    assert SensorReading.objects.count() == 2


def test_answers_go_to_the_outbox_and_publish_events_too(command):
    command.events.put(message("control/dev-1/ack", b'{"id": 1}', 1))
    command.events.put((PUBLISHED, 9))

    command.run_once()
    command.run_once()

    assert ("on_answer", "control/dev-1/ack", b'{"id": 1}') in command.outbox.calls
    assert ("on_published", 9) in command.outbox.calls
    assert command.ingest.pending == 0


def test_the_outbox_ticks_without_a_publish_function_while_disconnected(command):
    command.run_once()

    assert ("tick", None) in command.outbox.calls


def test_a_dropped_connection_is_reported_to_the_outbox_and_the_heartbeat(command):
    command.events.put((CONNECTED, 1))
    command.run_once()
    command.events.put((DISCONNECTED, "gone"))

    command.run_once()

    assert ("on_disconnect",) in command.outbox.calls
    assert IngestWorker.objects.get().connected is False


def test_an_outbox_error_is_logged_and_the_loop_goes_on(command, caplog):
    def broken(publish):
        raise RuntimeError("outbox bug")

    command.outbox.tick = broken

    command.run_once()
    command.run_once()

    assert "outbox bug" in command.status.last_error
    assert sum("outbox.tick failed" in r.getMessage() for r in caplog.records) == 1


def test_the_heartbeat_records_the_counters(command):
    command.events.put(message("sensors/dev-1/data", reading_payload(1), 1))
    command.events.put(message("sensors/dev-1/data", reading_payload(1), 2))

    command.run_once()
    command.heartbeat()

    worker = IngestWorker.objects.get()
    assert (worker.received, worker.stored, worker.duplicates) == (2, 1, 1)


def test_when_the_queue_runs_dry_it_waits_once_for_more_instead_of_waking_per_message(
    command, monkeypatch
):
    command.ingest.batch_size = 100
    naps: list[float] = []

    def nap(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) == 1:  # messages that arrive during the wait
            for mid in (2, 3):
                command.events.put(message("sensors/dev-1/data", reading_payload(mid), mid))

    monkeypatch.setattr("sensors.management.commands.mqtt_ingest.time.sleep", nap)
    command.events.put(message("sensors/dev-1/data", reading_payload(1), 1))

    command.take_events()

    assert naps == [GATHER_SECONDS]  # once per call, not again when dry a second time
    assert command.ingest.counters.received == 3


def test_a_stop_signal_wakes_a_loop_waiting_for_events_even_past_its_timeout(command):
    """CPython 3.11's SimpleQueue.get(timeout=0.1) waits for good when a signal
    handler outlasts the timeout; the handler's wake-up event ends the wait."""

    def slow_stop(signum, frame) -> None:
        time.sleep(0.3)  # past take_events' wait
        command.on_signal(signal.SIGTERM, frame)

    rescue = threading.Timer(5.0, command.events.put, args=[(PUBLISHED, -1)])
    rescue.start()  # without the wake-up: the test fails after 5 s, not never
    previous = signal.signal(signal.SIGALRM, slow_stop)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.02)
        started = time.monotonic()
        command.take_events()
        waited = time.monotonic() - started
    finally:
        signal.signal(signal.SIGALRM, previous)
        faulthandler.cancel_dump_traceback_later()
        rescue.cancel()

    assert command.shutdown
    assert waited < 2.0
