"""The paho wiring against a real Mosquitto configured as deploy/mosquitto.conf."""

from __future__ import annotations

import logging
import queue
import time

import pytest

from sensors.ingest import Entry, IntakeWindow
from sensors.mqtt import CONNECTED, DISCONNECTED, MESSAGE, MqttConnection, MqttOptions, shared
from sensors.tests.ingest_process import open_publisher, readings


def connect(
    request, broker, *, window: int = 1000, **options
) -> tuple[MqttConnection, queue.Queue]:
    events: queue.Queue = queue.Queue()
    values = {
        "host": broker.host,
        "port": broker.port,
        "client_id": "test-ingest",
        "topics": ("sensors/+/data",),
        "reconnect_min": 1,
        "reconnect_max": 2,
    }
    values.update(options)
    connection = MqttConnection(MqttOptions(**values), events=events, window=IntakeWindow(window))
    connection.start()
    request.addfinalizer(connection.stop)
    next_event(events, CONNECTED)
    return connection, events


def next_event(events: queue.Queue, kind: str, timeout: float = 15.0) -> tuple:
    while True:
        event = events.get(timeout=timeout)
        if event[0] == kind:
            return event


def messages(events: queue.Queue, count: int) -> list[tuple]:
    return [next_event(events, MESSAGE) for _ in range(count)]


def prime(publisher, events) -> None:
    """Publish one message and wait for it: the subscription is in place."""
    publisher.publish([("sensors/prime/data", b"{}")])
    next_event(events, MESSAGE)


def entries(received: list[tuple]) -> list[Entry]:
    return [Entry(mid, qos, generation) for _, _, _, mid, qos, generation in received]


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_it_hands_messages_to_the_queue(request, mosquitto, protocol):
    _connection, events = connect(request, mosquitto, protocol=protocol)
    publisher = open_publisher(request, mosquitto)
    prime(publisher, events)

    publisher.publish([("sensors/dev-1/data", b'{"a": 1}')])

    _kind, topic, payload, mid, qos, generation = next_event(events, MESSAGE)
    assert (topic, payload, qos, generation) == ("sensors/dev-1/data", b'{"a": 1}', 1, 1)
    assert mid > 0


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_unacknowledged_messages_come_again_on_the_next_session(request, mosquitto, protocol):
    connection, events = connect(request, mosquitto, protocol=protocol)
    publisher = open_publisher(request, mosquitto)
    prime(publisher, events)
    publisher.publish(readings(4))
    first, second, third, fourth = messages(events, 4)
    assert connection.ack(entries([first, second])) == 2
    connection.stop()

    _again, events = connect(request, mosquitto, protocol=protocol)

    redelivered = messages(events, 3)  # the primer was never acknowledged either
    payloads = {payload for _, _, payload, *_ in redelivered}
    assert payloads == {b"{}", third[2], fourth[2]}


def test_the_receive_maximum_bounds_what_the_broker_sends_before_acknowledgements(
    request, mosquitto
):
    connection, events = connect(request, mosquitto, receive_maximum=10)
    publisher = open_publisher(request, mosquitto)

    publisher.publish(readings(30))

    first = messages(events, 10)
    with pytest.raises(queue.Empty):
        next_event(events, MESSAGE, timeout=1.0)
    connection.ack(entries(first))
    assert len(messages(events, 10)) == 10


def test_an_acknowledgement_from_an_older_connection_is_not_sent(request, mosquitto):
    connection, events = connect(request, mosquitto)
    publisher = open_publisher(request, mosquitto)
    publisher.publish(readings(1))
    old = next_event(events, MESSAGE)

    mosquitto.stop()
    next_event(events, DISCONNECTED)
    mosquitto.start()
    next_event(events, CONNECTED)

    assert connection.ack(entries([old])) == 0
    redelivered = next_event(events, MESSAGE)
    assert redelivered[2] == old[2]
    assert redelivered[5] == 2


def test_a_shared_group_prefixes_the_filter():
    assert shared("sensors/+/data", "g1") == "$share/g1/sensors/+/data"
    assert shared("sensors/+/data", "") == "sensors/+/data"


def test_reconnect_attempts_while_the_broker_is_down_log_no_errors(request, mosquitto, caplog):
    caplog.set_level(logging.DEBUG)
    _connection, events = connect(request, mosquitto)

    mosquitto.stop()
    next_event(events, DISCONNECTED)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if sum("Cannot connect" in record.getMessage() for record in caplog.records) >= 2:
            break
        time.sleep(0.05)

    assert sum("Cannot connect" in record.getMessage() for record in caplog.records) >= 2
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
