"""Helpers for tests that run the real ``mqtt_ingest`` against the fixture broker."""

from __future__ import annotations

import contextlib
import json
import queue
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from control.models import Command

PROJECT_DIR = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 30.0  # generous: the machine is shared; a pass is usually far quicker


def wait_until(condition: Callable[[], object], *, timeout: float = WAIT_SECONDS) -> object:
    """Poll ``condition`` until it returns something truthy; fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.05)  # polling interval of a deadline loop, not a wait for an outcome


def wait_for_status(command_id: int, status: str, *, timeout: float = WAIT_SECONDS) -> Command:
    def reached() -> Command | None:
        command = Command.objects.get(id=command_id)
        return command if command.status == status else None

    try:
        return wait_until(reached, timeout=timeout)
    except AssertionError:
        now = Command.objects.get(id=command_id).status
        raise AssertionError(f"command {command_id} is {now!r}, never {status!r}") from None


class Ingest:
    """``python manage.py mqtt_ingest`` as a subprocess, its output in a file."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "mqtt_ingest"],
            cwd=PROJECT_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL if it does not exit; its exit code."""
        process, self.process = self.process, None
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                return process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        return process.returncode

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextlib.contextmanager
def running_ingest(env: dict[str, str], log_path: Path) -> Iterator[Ingest]:
    ingest = Ingest(env, log_path)
    ingest.start()
    try:
        yield ingest
    finally:
        ingest.stop()


class Device:
    """A simulated device: receives its commands (QoS 1, persistent session) and answers."""

    def __init__(self, broker, device_id: str) -> None:
        self.device_id = device_id
        self.commands: queue.Queue[dict] = queue.Queue()
        self.subscribed = queue.Queue()
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=f"device-{device_id}", protocol=paho.MQTTv5
        )
        self.client.reconnect_delay_set(1, 1)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *args: self.subscribed.put(True)
        self.client.on_message = self._on_message
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = 3600  # commands queue up while it is away
        self.client.connect(broker.host, broker.port, clean_start=False, properties=properties)
        self.client.loop_start()
        self.subscribed.get(timeout=WAIT_SECONDS)

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        client.subscribe(f"control/{self.device_id}/command", qos=1)

    def _on_message(self, client, userdata, message) -> None:
        self.commands.put(json.loads(message.payload))

    def next_command(self, *, timeout: float = WAIT_SECONDS) -> dict:
        return self.commands.get(timeout=timeout)

    def answer(self, payload: dict | bytes, *, device_id: str | None = None) -> None:
        """Publish on the ack topic (of another device when ``device_id`` is given)."""
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        topic = f"control/{device_id or self.device_id}/ack"
        self.client.publish(topic, raw, qos=1).wait_for_publish(timeout=WAIT_SECONDS)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
