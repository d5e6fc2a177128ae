"""The ingest's own network loop (sensors/network_loop.py) against a real Mosquitto:
TLS, credentials, reconnection backoff, recovery from an error inside the
loop, stopping."""

from __future__ import annotations

import itertools
import logging
import queue
import subprocess
import threading
import time
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from conftest import Broker, free_port
from sensors.ingest import IntakeWindow
from sensors.mqtt import DISCONNECTED, MqttConnection, MqttOptions
from sensors.network_loop import NetworkLoop
from sensors.tests.ingest_process import open_publisher, readings
from sensors.tests.test_mqtt_connection import connect, entries, messages, next_event


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1: (ca, cert, key)."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=autoforge test CA",
    )  # fmt: skip
    openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
        "-out", "server.csr", "-subj", "/CN=127.0.0.1",
    )  # fmt: skip
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.crt",
    )  # fmt: skip
    return folder / "ca.crt", folder / "server.crt", folder / "server.key"


@pytest.fixture
def tls_broker(tmp_path: Path):
    """A broker with its plain listener and a TLS one: yields (broker, TLS port, CA file)."""
    ca, cert, key = make_certificates(tmp_path)
    tls_port = free_port()
    broker = Broker(
        tmp_path,
        extra_conf=(
            f"listener {tls_port} 127.0.0.1\ncafile {ca}\ncertfile {cert}\nkeyfile {key}\n"
        ),
    )
    broker.start()
    try:
        yield broker, tls_port, ca
    finally:
        broker.kill()


def test_over_tls_a_burst_arrives_whole_and_its_acknowledgements_go_out(
    request, tls_broker, caplog
):
    broker, tls_port, ca = tls_broker
    connection, events = subscribed(
        request, broker, caplog, port=tls_port, tls_ca=str(ca), window=5000
    )
    publisher = open_publisher(request, broker)  # on the plain listener

    publisher.publish(readings(3000))
    received = messages(events, 3000)
    assert len({payload for _, _, payload, *_ in received}) == 3000
    assert connection.ack(entries(received)) == 3000
    connection.stop()
    # Else the next connection takes the session over before the broker has
    # read the acknowledgements, and it drops them with the old connection.
    wait_until(lambda: "Client test-ingest disconnected" in broker.log_path.read_text())

    caplog.clear()
    _again, events = subscribed(request, broker, caplog, port=tls_port, tls_ca=str(ca))
    publisher.publish(readings(1, start=5000))
    (_, _, payload, *_), *_ = messages(events, 1)
    assert payload == readings(1, start=5000)[0][1]  # nothing of the burst came again


def test_a_wrong_ca_is_a_failed_attempt_retried_with_backoff(request, tls_broker, tmp_path, caplog):
    broker, tls_port, _ca = tls_broker
    other = tmp_path / "other"
    other.mkdir()
    wrong_ca, _, _ = make_certificates(other)
    caplog.set_level(logging.WARNING)
    events: queue.Queue = queue.Queue()
    connection = MqttConnection(
        MqttOptions(
            host=broker.host, port=tls_port, client_id="wrong-ca", topics=("sensors/+/data",),
            tls_ca=str(wrong_ca), reconnect_min=1, reconnect_max=1,
        ),
        events=events,
        window=IntakeWindow(10),
    )  # fmt: skip
    connection.start()
    request.addfinalizer(connection.stop)

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and failed_attempts(caplog) < 2:
        time.sleep(0.05)
    assert failed_attempts(caplog) >= 2
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text
    assert not connection.connected


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def subscribed(request, broker, caplog, **options):
    """``connect()``, then wait for the SUBACK: a message published before the
    broker has the subscription would not be routed to it."""
    caplog.set_level(logging.INFO)
    connection, events = connect(request, broker, **options)
    wait_until(lambda: "Subscribed to sensors/+/data" in caplog.text)
    return connection, events


def failed_attempts(caplog) -> int:
    return sum("Cannot connect" in record.getMessage() for record in caplog.records)


def test_reconnect_attempts_wait_longer_each_time_up_to_the_maximum(request, caplog):
    caplog.set_level(logging.WARNING)
    attempts: list[float] = []
    connection = MqttConnection(
        MqttOptions(
            host="127.0.0.1", port=free_port(), client_id="backoff", topics=("sensors/+/data",),
            reconnect_min=1, reconnect_max=2,
        ),
        events=queue.Queue(),
        window=IntakeWindow(10),
    )  # fmt: skip
    original = connection.network._on_connect_fail

    def timed(error: BaseException) -> None:
        attempts.append(time.monotonic())
        original(error)

    connection.network._on_connect_fail = timed
    connection.start()
    request.addfinalizer(connection.stop)

    deadline = time.monotonic() + 20
    while len(attempts) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)

    assert len(attempts) >= 4
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    # 1 s, then 2 s, then 2 s (the maximum): never shorter than the backoff.
    assert gaps[0] >= 0.95
    assert gaps[1] >= 1.95
    assert gaps[2] >= 1.95
    assert "Cannot connect to 127.0.0.1" in caplog.text


def test_the_backoff_doubles_to_the_maximum_and_a_connection_resets_it():
    network = NetworkLoop(
        paho.Client(CallbackAPIVersion.VERSION2),
        reconnect_min=1,
        reconnect_max=8,
        progress=lambda: 0,
        on_connect_fail=lambda error: None,
        on_loop_error=lambda: None,
    )
    network._stopping.set()  # never started: _backoff() returns at once

    delays = []
    for _ in range(6):
        network._backoff()
        delays.append(network._delay)
    network.connected_once()
    network._backoff()

    assert delays == [1, 2, 4, 8, 8, 8]
    assert network._delay == 1
    network.stop()


def test_an_error_inside_the_loop_is_logged_and_the_connection_made_again(
    request, mosquitto, caplog
):
    connection, events = subscribed(request, mosquitto, caplog)
    publisher = open_publisher(request, mosquitto)
    broken = threading.Event()
    progress = connection.network._progress

    def fails_once() -> int:
        if not broken.is_set():
            broken.set()
            raise RuntimeError("injected fault")
        return progress()

    connection.network._progress = fails_once
    publisher.publish(readings(1))  # the loop fails as it turns to read it
    assert broken.wait(5)
    next_event(events, DISCONNECTED)
    publisher.publish(readings(1, start=1))

    payloads = {event[2] for event in messages(events, 2)}  # the broker kept the first

    assert payloads == {payload for _, payload in readings(2)}
    assert "Error in the MQTT network loop" in caplog.text
    assert "RuntimeError: injected fault" in caplog.text
    assert connection.network._thread.is_alive()


def test_stop_ends_the_thread_while_the_broker_is_down(request, mosquitto):
    connection, events = connect(request, mosquitto, reconnect_min=1, reconnect_max=1)
    mosquitto.stop()
    next_event(events, DISCONNECTED)

    connection.stop()

    assert not connection.network._thread.is_alive()


@pytest.fixture
def password_broker(tmp_path: Path):
    """A broker that takes only ``ingest`` / ``right-password``."""
    passwords = tmp_path / "passwords"
    subprocess.run(
        ["mosquitto_passwd", "-b", "-c", str(passwords), "ingest", "right-password"],
        check=True,
        capture_output=True,
    )
    broker = Broker(tmp_path, extra_conf=f"allow_anonymous false\npassword_file {passwords}\n")
    broker.start()
    try:
        yield broker
    finally:
        broker.kill()


def test_with_the_right_password_it_connects_and_receives(request, password_broker, caplog):
    _connection, events = subscribed(
        request, password_broker, caplog, username="ingest", password="right-password"
    )
    publisher = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    publisher.username_pw_set("ingest", "right-password")
    publisher.connect(password_broker.host, password_broker.port)
    publisher.loop_start()
    request.addfinalizer(publisher.loop_stop)

    publisher.publish(*readings(1)[0], qos=1).wait_for_publish(10)

    assert messages(events, 1)[0][2] == readings(1)[0][1]


def test_a_wrong_password_is_refused_logged_and_retried(request, password_broker, caplog):
    caplog.set_level(logging.INFO)
    connection = MqttConnection(
        MqttOptions(
            host=password_broker.host, port=password_broker.port, client_id="refused",
            topics=("sensors/+/data",), username="ingest", password="s3cret-but-wrong",
            reconnect_min=1, reconnect_max=1,
        ),
        events=queue.Queue(),
        window=IntakeWindow(10),
    )  # fmt: skip
    connection.start()
    request.addfinalizer(connection.stop)

    def refusals() -> int:
        return sum("Broker refused the connection" in r.getMessage() for r in caplog.records)

    wait_until(lambda: refusals() >= 2, timeout=15)
    assert not connection.connected
    assert "s3cret-but-wrong" not in caplog.text  # never log a secret
