"""The command outbox, driven from inside ``mqtt_ingest`` (which owns the MQTT connection).

INTERFACE (implemented in the control issue; called by sensors' ingest loop).
Everything here runs in the ingest's main thread, where ORM work is allowed;
nothing here imports paho.
"""

from __future__ import annotations

from collections.abc import Callable


class CommandOutbox:
    """Publishes pending commands and records what devices answer."""

    #: Topic filter the ingest subscribes to (QoS 1) for device answers,
    #: e.g. "control/+/ack". The ingest routes messages matching it to ``on_answer``.
    ack_topic_filter: str

    def __init__(self, *, control_topic: str, ttl_seconds: int) -> None:
        raise NotImplementedError

    def tick(self, publish: Callable[[str, bytes], int] | None) -> None:
        """Called every loop iteration (at least every ~100 ms).

        Polls the database at most every ~0.5 s: publishes each pending,
        unexpired command with ``publish(topic, payload)`` (QoS 1; returns the
        MQTT message id) and expires overdue ones. ``publish`` is None while
        the client is disconnected: then only expiry runs.
        """
        raise NotImplementedError

    def on_published(self, mid: int) -> bool:
        """The broker acknowledged message ``mid`` (PUBACK). Marks its command
        ``sent``. Returns False if ``mid`` is not one of the outbox's."""
        raise NotImplementedError

    def on_answer(self, topic: str, payload: bytes) -> None:
        """A device answered on its ack topic: ``acknowledged`` / ``failed``,
        or logged and ignored (bad JSON, unknown or finished command).
        Commits before returning; never raises for bad input."""
        raise NotImplementedError

    def on_disconnect(self) -> None:
        """The connection dropped: commands published but not yet PUBACKed
        stay ``pending`` and are published again after reconnecting."""
        raise NotImplementedError
