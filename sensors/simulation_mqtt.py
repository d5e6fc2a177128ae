"""The paho-mqtt wiring of ``manage.py simulate_devices``, and nothing else.

A QoS 1 publisher with a bounded in-flight window: ``publish`` waits while
``max_inflight`` messages are still unacknowledged, so a slow or absent
broker slows the simulator down instead of filling its memory. paho's thread
reconnects on its own; the callbacks only update counters under a lock.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

logger = logging.getLogger(__name__)

WAIT_SLICE_SECONDS = 0.1  # how often a wait looks at ``should_stop``


@dataclass(frozen=True, slots=True)
class PublisherOptions:
    """How to reach the broker."""

    host: str
    port: int
    protocol: str = "5"  # "5" or "3.1.1"
    username: str = ""
    password: str = ""
    tls_ca: str = ""
    keepalive: int = 30
    max_inflight: int = 100
    reconnect_min: int = 1
    reconnect_max: int = 30


class ReadingPublisher:
    """Publishes at QoS 1 and counts the broker's acknowledgements (PUBACK)."""

    def __init__(self, options: PublisherOptions) -> None:
        self.options = options
        self.sent = 0
        self.acknowledged = 0
        self._pending: set[int] = set()
        self._early_acks: set[int] = set()  # PUBACKs seen before publish() returned the mid
        self._condition = threading.Condition()
        self._connected = False
        protocol = paho.MQTTv5 if options.protocol == "5" else paho.MQTTv311
        self.client = paho.Client(CallbackAPIVersion.VERSION2, protocol=protocol)
        if options.username:
            self.client.username_pw_set(options.username, options.password or None)
        if options.tls_ca:
            self.client.tls_set(ca_certs=options.tls_ca, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        # Our own window bounds what is in flight; paho's would only queue more.
        self.client.max_inflight_messages_set(0)
        self.client.reconnect_delay_set(options.reconnect_min, options.reconnect_max)
        self.client.enable_logger(logging.getLogger("sensors.simulation.paho"))
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish

    # --- life cycle ------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background; paho retries until the broker answers."""
        options = self.options
        logger.info("Connecting to %s:%d", options.host, options.port)
        self.client.connect_async(options.host, options.port, keepalive=options.keepalive)
        self.client.loop_start()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def in_flight(self) -> int:
        with self._condition:
            return len(self._pending)

    # --- publishing --------------------------------------------------------------

    def publish(self, topic: str, payload: bytes, *, should_stop: Callable[[], bool]) -> bool:
        """Publish once connected and the window has room; False if stopped first."""
        with self._condition:
            while not (self._connected and len(self._pending) < self.options.max_inflight):
                if should_stop():
                    return False
                self._condition.wait(WAIT_SLICE_SECONDS)
        # Not under our lock: paho calls on_publish holding a lock of its own
        # that publish() takes too. Only this thread publishes, so the window
        # checked above still has room.
        info = self.client.publish(topic, payload, qos=1)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            # The connection was lost just now: paho keeps the message and
            # sends it again on reconnect, so it is still pending.
            logger.debug("publish to %s: %s", topic, paho.error_string(info.rc))
        with self._condition:
            self.sent += 1
            if info.mid in self._early_acks:
                self._early_acks.discard(info.mid)
                self.acknowledged += 1
            else:
                self._pending.add(info.mid)
        return True

    def drain(self, *, timeout: float, should_stop: Callable[[], bool] = lambda: False) -> bool:
        """Wait up to ``timeout`` s for every PUBACK; True if none is missing."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._pending and not should_stop():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._condition.wait(min(WAIT_SLICE_SECONDS, remaining))
            return not self._pending

    # --- paho's thread ---------------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            logger.warning("The broker refused the connection: %s", reason_code)
            return
        logger.info("Connected to %s:%d", self.options.host, self.options.port)
        with self._condition:
            self._connected = True
            self._condition.notify_all()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        with self._condition:
            self._connected = False
        if reason_code.is_failure:
            logger.warning("Disconnected from the broker (%s); reconnecting", reason_code)

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        with self._condition:
            if mid in self._pending:
                self._pending.discard(mid)
                self.acknowledged += 1
            else:
                self._early_acks.add(mid)
            self._condition.notify_all()
