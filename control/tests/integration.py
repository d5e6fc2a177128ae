"""Helpers for tests that run the real ``mqtt_ingest`` against the fixture broker."""

from __future__ import annotations

import contextlib
import json
import queue
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from control.models import Command
from sensors.tests.ingest_process import IngestProcess, wait_until

WAIT_SECONDS = 30.0  # generous: the machine is shared; a pass is usually far quicker


def wait_for_status(command_id: int, status: str, *, timeout: float = WAIT_SECONDS) -> Command:
    def reached() -> Command | None:
        command = Command.objects.get(id=command_id)
        return command if command.status == status else None

    try:
        return wait_until(reached, timeout=timeout)
    except AssertionError:
        now = Command.objects.get(id=command_id).status
        raise AssertionError(f"command {command_id} is {now!r}, never {status!r}") from None


@contextlib.contextmanager
def running_ingest(env: dict[str, str], log_path: Path) -> Iterator[IngestProcess]:
    """An ingest process for the block (started without waiting for the broker)."""
    ingest = IngestProcess(env, log_path)
    ingest.start(wait_subscribed=False)
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
