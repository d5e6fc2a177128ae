"""An MQTT 5 client for broker tests that reports what the broker answered."""

from __future__ import annotations

import queue
import threading

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

TIMEOUT = 10.0


class Session:
    """One client, logged in as ``username`` (or anonymous); connected or refused."""

    def __init__(
        self, broker, username: str | None = None, password: str | None = None, *, client_id=""
    ) -> None:
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5
        )
        if username is not None:
            self.client.username_pw_set(username, password)
        self.connack: queue.SimpleQueue = queue.SimpleQueue()
        self.acks: dict[int, queue.SimpleQueue] = {}
        self.messages: queue.SimpleQueue = queue.SimpleQueue()
        self.disconnected = threading.Event()
        self.client.on_connect = lambda c, u, f, rc, p: self.connack.put(rc)
        self.client.on_disconnect = lambda c, u, f, rc, p: self.disconnected.set()
        self.client.on_publish = lambda c, u, mid, rc, p: self._ack(mid, rc)
        self.client.on_subscribe = lambda c, u, mid, rcs, p: self._ack(mid, rcs)
        self.client.on_message = lambda c, u, message: self.messages.put(message)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        self.reason = self.connack.get(timeout=TIMEOUT)

    def _ack(self, mid: int, value: object) -> None:
        self.acks.setdefault(mid, queue.SimpleQueue()).put(value)

    def _wait_ack(self, mid: int):
        return self.acks.setdefault(mid, queue.SimpleQueue()).get(timeout=TIMEOUT)

    @property
    def connected(self) -> bool:
        return not self.reason.is_failure and not self.disconnected.is_set()

    def publish(self, topic: str, payload: bytes) -> paho.ReasonCode:
        """Publish at QoS 1; the reason code of the broker's PUBACK."""
        return self._wait_ack(self.client.publish(topic, payload, qos=1).mid)

    def subscribe(self, topic: str) -> paho.ReasonCode:
        """Subscribe at QoS 1; the reason code of the broker's SUBACK."""
        return self._wait_ack(self.client.subscribe(topic, qos=1)[1])[0]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def open_session(request, broker, username=None, password=None, **options) -> Session:
    """A :class:`Session` closed when the test ends."""
    session = Session(broker, username, password, **options)
    request.addfinalizer(session.close)
    return session
