"""All of the paho-mqtt wiring of ``mqtt_ingest``, and nothing else.

paho's network I/O runs in a thread of its own (``sensors.network_loop``);
its callbacks only put events on a queue for the main thread, where all ORM
work happens. Events are tuples whose first item says what happened:

* ``(MESSAGE, topic, payload, mid, qos, generation)``
* ``(CONNECTED, generation)`` / ``(DISCONNECTED, reason)``
* ``(PUBLISHED, mid)`` — the broker acknowledged one of our publishes

``generation`` counts successful connections: an acknowledgement is sent only
on the connection its message came in on (after a reconnect the broker
redelivers what was not acknowledged, and a packet id of the old connection
may name another message on the new one).
"""

from __future__ import annotations

import functools
import logging
import queue
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from sensors.ingest import Entry, IntakeWindow
from sensors.network_loop import NetworkLoop

logger = logging.getLogger(__name__)

MESSAGE = "message"
CONNECTED = "connected"
DISCONNECTED = "disconnected"
PUBLISHED = "published"

# MQTT 5 caps Receive Maximum at 65535.
RECEIVE_MAXIMUM_LIMIT = 65535


@dataclass(frozen=True, slots=True)
class MqttOptions:
    """How to reach the broker and what to subscribe to."""

    host: str
    port: int
    client_id: str
    topics: tuple[str, ...]  # subscribed at QoS 1, shared-group prefix already applied
    protocol: str = "5"  # "5" or "3.1.1"
    username: str = ""
    password: str = ""
    tls_ca: str = ""
    keepalive: int = 30
    session_expiry: int = 7 * 24 * 3600
    receive_maximum: int = 20_000
    reconnect_min: int = 5
    reconnect_max: int = 120


def _logged(callback: Callable[..., None]) -> Callable[..., None]:
    """paho raises an exception from a callback out of its loop, which would cost
    the connection (the network loop then reconnects): log it and go on instead."""

    @functools.wraps(callback)
    def guarded(*args: object) -> None:
        try:
            callback(*args)
        except Exception:
            logger.exception("Error in the MQTT %s callback", callback.__name__)

    return guarded


def shared(topic_filter: str, group: str) -> str:
    """``$share/<group>/<filter>`` when a group is set, else the filter itself."""
    return f"$share/{group}/{topic_filter}" if group else topic_filter


class MqttConnection:
    """A persistent-session, manual-ack subscriber that reports to ``events``."""

    def __init__(self, options: MqttOptions, *, events: queue.Queue, window: IntakeWindow) -> None:
        self.options = options
        self.events = events
        self.window = window
        self._lock = threading.Lock()  # generation/connected against ack()
        self._generation = 0
        self._connected = False
        self._messages = 0  # handed over so far; the network loop reads on while it grows
        self.client = self._make_client()
        self.network = NetworkLoop(
            self.client,
            reconnect_min=options.reconnect_min,
            reconnect_max=options.reconnect_max,
            progress=lambda: self._messages,
            on_connect_fail=self._on_connect_fail,
            on_loop_error=self._on_loop_error,
        )

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def connections(self) -> int:
        """Successful connections so far: the first one and every reconnect."""
        return self._generation

    def _make_client(self) -> paho.Client:
        options = self.options
        if options.protocol == "5":
            client = paho.Client(
                CallbackAPIVersion.VERSION2,
                client_id=options.client_id,
                protocol=paho.MQTTv5,
                manual_ack=True,
            )
        else:
            client = paho.Client(
                CallbackAPIVersion.VERSION2,
                client_id=options.client_id,
                protocol=paho.MQTTv311,
                clean_session=False,
                manual_ack=True,
            )
        if options.username:
            client.username_pw_set(options.username, options.password or None)
        if options.tls_ca:
            client.tls_set(ca_certs=options.tls_ca, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        # Our own publishes (commands): no client-side cap; the outbox paces them.
        client.max_inflight_messages_set(0)
        client.enable_logger(logging.getLogger("sensors.mqtt.paho"))
        client.on_connect = _logged(self._on_connect)
        client.on_disconnect = _logged(self._on_disconnect)
        client.on_subscribe = _logged(self._on_subscribe)
        client.on_message = _logged(self._on_message)
        client.on_publish = _logged(self._on_publish)
        return client

    # --- life cycle (main thread) ---------------------------------------------

    def start(self) -> None:
        """Connect in the background; paho retries with backoff until it succeeds."""
        options = self.options
        properties = None
        clean_start: bool | int = paho.MQTT_CLEAN_START_FIRST_ONLY
        if options.protocol == "5":
            clean_start = False
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = options.session_expiry
            # With acknowledgement after commit, this is how many messages the
            # broker sends before it waits for us: the size of a batch at most.
            properties.ReceiveMaximum = max(1, min(options.receive_maximum, RECEIVE_MAXIMUM_LIMIT))
        logger.info(
            "Connecting to %s:%d as %r (MQTT %s%s)",
            options.host,
            options.port,
            options.client_id,
            options.protocol,
            ", TLS" if options.tls_ca else "",
        )
        self.client.connect_async(
            options.host,
            options.port,
            keepalive=options.keepalive,
            clean_start=clean_start,
            properties=properties,
        )
        self.network.start(name=f"mqtt-{options.client_id}")

    def stop_intake(self) -> None:
        """Take no more messages: those still arriving stay unacknowledged with the broker."""
        self.window.close()

    def stop(self, *, timeout: float = 3.0) -> None:
        """Disconnect after the acknowledgements already queued are written, then stop."""
        self.window.close()
        if self._connected:
            done = threading.Event()
            self._disconnect_done = done
            self.network.disconnect()
            done.wait(timeout)
        self.network.stop()

    # --- main thread -> broker --------------------------------------------------

    def ack(self, entries: list[Entry]) -> int:
        """Acknowledge ``entries`` (in order) that came in on the current
        connection; the others will be redelivered. Returns how many were sent."""
        sent = 0
        with self._lock:
            if not self._connected:
                return 0
            generation = self._generation
            client = self.client
            for entry in entries:
                if entry.generation == generation and entry.qos:
                    client.ack(entry.mid, entry.qos)
                    sent += 1
        return sent

    def publish(self, topic: str, payload: bytes) -> int | None:
        """Publish at QoS 1; the message id (its PUBACK comes as a PUBLISHED
        event), or None if the client could not queue it."""
        info = self.client.publish(topic, payload, qos=1)
        # NO_CONN: the connection dropped just now; paho keeps the message
        # and sends it after reconnecting, so it is queued all the same.
        if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN):
            logger.warning("Publishing to %s failed: %s", topic, paho.error_string(info.rc))
            return None
        return info.mid

    # --- paho's thread ------------------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            logger.error("Broker refused the connection: %s", reason_code)
            return
        with self._lock:
            self._generation += 1
            self._connected = True
            generation = self._generation
        self.network.connected_once()
        logger.info(
            "Connected to %s:%d (session present: %s)",
            self.options.host,
            self.options.port,
            bool(flags.session_present),
        )
        if self.options.protocol == "5":
            topics = [(topic, SubscribeOptions(qos=1)) for topic in self.options.topics]
        else:
            topics = [(topic, 1) for topic in self.options.topics]
        result, _ = client.subscribe(topics)
        if result != MQTTErrorCode.MQTT_ERR_SUCCESS:
            logger.error("Subscribing failed: %s", paho.error_string(result))
        self.events.put((CONNECTED, generation))

    def _on_connect_fail(self, error: BaseException) -> None:
        logger.warning(
            "Cannot connect to %s:%d (%s); retrying with backoff",
            self.options.host,
            self.options.port,
            error,
        )

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        with self._lock:
            was_connected = self._connected
            self._connected = False
        done = getattr(self, "_disconnect_done", None)
        if done is not None:
            logger.info("Disconnected from the broker")
            done.set()
        elif was_connected:
            logger.warning("Disconnected from the broker: %s; reconnecting", reason_code)
        self.events.put((DISCONNECTED, str(reason_code)))

    def _on_loop_error(self) -> None:
        with self._lock:
            self._connected = False
        self.events.put((DISCONNECTED, "error in the network loop"))

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        for topic, reason_code in zip(self.options.topics, reason_codes, strict=False):
            if reason_code.is_failure:
                logger.error("Subscription to %s refused: %s", topic, reason_code)
            else:
                logger.info("Subscribed to %s (%s)", topic, reason_code)

    def _on_message(self, client, userdata, message) -> None:
        # Waits while INGEST_MAX_PENDING messages are unacknowledged: paho
        # then stops reading the socket and the broker keeps the rest.
        self._messages += 1
        if not self.window.acquire():
            return  # shutting down: not acknowledged, so the broker redelivers it
        try:
            topic = message.topic
        except UnicodeDecodeError:
            topic = message._topic.decode("utf-8", "backslashreplace")  # validation rejects it
        self.events.put(
            (MESSAGE, topic, message.payload, message.mid, message.qos, self._generation)
        )

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        if reason_code.is_failure:
            # MQTT 5: the broker refused it (e.g. not authorised). Not "sent":
            # the outbox publishes it again later, until it expires.
            logger.warning("Broker refused published message %s: %s", mid, reason_code)
            return
        self.events.put((PUBLISHED, mid))
