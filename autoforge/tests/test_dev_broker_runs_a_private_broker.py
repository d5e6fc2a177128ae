"""bin/dev-broker as a process: a private Mosquitto that anonymous clients reach on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from autoforge.dev_broker import broker_answers
from conftest import PROJECT_DIR, free_port

DEV_BROKER = PROJECT_DIR / "bin" / "dev-broker"


def start_dev_broker(request, port: int, tmp_path: Path, **env: str) -> subprocess.Popen:
    environment = {
        **os.environ,
        "PYTHON": sys.executable,
        "MQTT_BROKER": "127.0.0.1",
        "MQTT_PORT": str(port),
        **env,
    }
    process = subprocess.Popen(
        [str(DEV_BROKER), "--ready-file", str(tmp_path / "ready")],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def kill() -> None:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)

    request.addfinalizer(kill)
    return process


def wait_for(path: Path, process: subprocess.Popen, *, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.05)


def anonymous_client_connects(port: int) -> bool:
    connected = threading.Event()
    client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    client.on_connect = lambda c, u, f, reason_code, p: reason_code.is_failure or connected.set()
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        return connected.wait(10)
    finally:
        client.disconnect()
        client.loop_stop()


def test_it_starts_a_broker_that_takes_anonymous_clients_and_stopping_it_frees_the_port(
    request, tmp_path
):
    port = free_port()
    process = start_dev_broker(request, port, tmp_path)
    wait_for(tmp_path / "ready", process)

    assert anonymous_client_connects(port)
    process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=20) == 0
    output = process.stdout.read()
    assert "DEVELOPMENT MQTT BROKER" in output
    assert "ANONYMOUS clients" in output
    assert "on 127.0.0.1 only" in output
    assert not broker_answers("127.0.0.1", port)


def test_it_leaves_a_broker_that_already_answers_alone(request, tmp_path, mosquitto):
    process = start_dev_broker(request, mosquitto.port, tmp_path)

    assert process.wait(timeout=20) == 0
    assert f"A broker answers on 127.0.0.1:{mosquitto.port}: using it." in process.stdout.read()
    assert (tmp_path / "ready").exists()


@pytest.mark.parametrize("host", ["192.0.2.1", "broker.invalid"])
def test_it_starts_nothing_for_a_broker_on_another_machine(request, tmp_path, host):
    process = start_dev_broker(request, free_port(), tmp_path, MQTT_BROKER=host)

    assert process.wait(timeout=20) == 0
    assert "which is not this machine" in process.stdout.read()
