"""Talk to the broker's dynamic security plugin: send commands, wait for the answers.

A short MQTT connection per call, as the admin account (``MQTT_ADMIN_USERNAME``):
provisioning is rare, and a connection that lives only as long as one
request needs no reconnect logic. The plugin publishes every answer on one
topic that every admin client reads, so ours are told apart by their
``correlationData``. The password is never logged nor put in an error.
"""

from __future__ import annotations

import json
import logging
import queue
import ssl
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

import paho.mqtt.client as paho
from django.conf import settings
from paho.mqtt.enums import CallbackAPIVersion

from devices.dynsec import CONTROL_TOPIC, RESPONSE_TOPIC, Command, Topics, response_errors

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 10.0


class BrokerAdminError(Exception):
    """The broker could not be reached, refused us, or refused a command."""


@dataclass(frozen=True)
class BrokerAdmin:
    """How to reach the plugin as the admin account, and which topics devices use."""

    host: str
    port: int
    username: str
    password: str = field(repr=False)
    tls_ca: str = ""
    topics: Topics = field(default_factory=Topics)
    #: Broker accounts that are not devices: a device may not be named so.
    reserved_usernames: frozenset[str] = frozenset()
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def from_settings(cls) -> BrokerAdmin:
        """The admin of the configured broker; BrokerAdminError if none is configured."""
        if not settings.MQTT_ADMIN_USERNAME:
            raise BrokerAdminError(
                "MQTT_ADMIN_USERNAME is not set: the backend cannot manage broker accounts "
                "(docs/security.md)"
            )
        reserved = {settings.MQTT_ADMIN_USERNAME, settings.MQTT_USERNAME} - {""}
        return cls(
            host=settings.MQTT_BROKER,
            port=settings.MQTT_PORT,
            username=settings.MQTT_ADMIN_USERNAME,
            password=settings.MQTT_ADMIN_PASSWORD,
            tls_ca=settings.MQTT_TLS_CA,
            topics=Topics(sensor=settings.SENSOR_TOPIC, control=settings.CONTROL_TOPIC),
            reserved_usernames=frozenset(reserved),
        )

    def run(self, commands: Sequence[Command]) -> list[dict]:
        """Send ``commands`` in one message; the plugin's answers, in order.

        BrokerAdminError when the broker does not answer within ``timeout``,
        refuses the admin account, or a command failed (an error that leaves
        things as wanted, such as deleting what is not there, is no failure).
        """
        token = uuid.uuid4().hex
        commands = [{**command, "correlationData": token} for command in commands]
        responses = self._exchange({"commands": commands}, token, count=len(commands))
        errors = response_errors(commands, responses)
        if errors:
            raise BrokerAdminError("the broker refused: " + "; ".join(errors))
        return responses

    def _exchange(self, document: dict, token: str, *, count: int) -> list[dict]:
        events: queue.SimpleQueue = queue.SimpleQueue()
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"autoforge-admin-{token[:12]}",
            protocol=paho.MQTTv5,
        )
        client.username_pw_set(self.username, self.password)
        if self.tls_ca:
            client.tls_set(ca_certs=self.tls_ca, tls_version=ssl.PROTOCOL_TLS_CLIENT)

        def on_connect(client, userdata, flags, reason_code, properties) -> None:
            if reason_code.is_failure:
                events.put(("refused", str(reason_code)))
            else:
                client.subscribe(RESPONSE_TOPIC, qos=1)

        def on_subscribe(client, userdata, mid, reason_codes, properties) -> None:
            if any(code.is_failure for code in reason_codes):
                events.put(("refused", f"subscribing to {RESPONSE_TOPIC}: {reason_codes[0]}"))
            else:
                client.publish(CONTROL_TOPIC, json.dumps(document), qos=1)

        def on_message(client, userdata, message) -> None:
            try:
                responses = json.loads(message.payload)["responses"]
            except (ValueError, KeyError, TypeError):
                return
            ours = [r for r in responses if r.get("correlationData") == token]
            if ours:
                events.put(("answer", ours))

        def on_disconnect(client, userdata, flags, reason_code, properties) -> None:
            events.put(("lost", str(reason_code)))

        client.on_connect = on_connect
        client.on_disconnect = on_disconnect
        client.on_subscribe = on_subscribe
        client.on_message = on_message
        try:
            client.connect(self.host, self.port, keepalive=30)
        except (OSError, ssl.SSLError) as error:
            raise BrokerAdminError(
                f"cannot reach the broker at {self.host}:{self.port}: {error}"
            ) from None
        client.loop_start()
        try:
            return self._answers(events, count=count)
        finally:
            client.disconnect()
            client.loop_stop()

    def _answers(self, events: queue.SimpleQueue, *, count: int) -> list[dict]:
        answers: list[dict] = []
        while len(answers) < count:
            try:
                kind, value = events.get(timeout=self.timeout)
            except queue.Empty:
                raise BrokerAdminError(
                    f"no answer from the broker's dynamic security plugin at "
                    f"{self.host}:{self.port} within {self.timeout:g} s "
                    "(is it running with deploy/mosquitto.conf?)"
                ) from None
            if kind == "lost":
                raise BrokerAdminError(
                    f"the broker at {self.host}:{self.port} closed the admin connection "
                    f"before answering: {value}"
                )
            if kind == "refused":
                raise BrokerAdminError(
                    f"the broker at {self.host}:{self.port} refused the admin account "
                    f"{self.username!r}: {value}"
                )
            answers.extend(value)
        return answers
