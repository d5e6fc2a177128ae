"""The command outbox, driven from inside ``mqtt_ingest`` (which owns the MQTT connection).

The API only stores commands (``pending``); this class, called from the
ingest's main loop, publishes them and records what the broker and the
devices answer. Everything here runs in the ingest's main thread, where ORM
work is allowed; nothing here imports paho. The writes live in
``control/services.py``, the reads in ``control/selectors.py``.

Several ingest workers (``MQTT_SHARED_GROUP``) may run an outbox each: a
worker publishes a command only after claiming it with a conditional UPDATE,
so two workers never publish the same command at the same time. Delivery is
at least once: a command whose PUBACK never came (connection lost, worker
killed) is published again, by this or another worker, and devices drop a
command whose ``id`` they have already handled.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from django.utils import timezone

from control import protocol, selectors, services
from control.services import AnswerOutcome

logger = logging.getLogger(__name__)


class CommandOutbox:
    """Publishes pending commands and records what devices answer."""

    #: Topic filter the ingest subscribes to (QoS 1) for device answers,
    #: e.g. "control/+/ack". The ingest routes messages matching it to ``on_answer``.
    ack_topic_filter: str

    #: Seconds between two polls of the database.
    poll_interval: float = 0.5
    #: Most commands published (or expired) per poll; a full batch polls again
    #: at the next tick instead of waiting.
    batch_size: int = 100
    #: How long a claim keeps other workers off a published command that has
    #: no PUBACK yet; past it the command is published again (the publishing
    #: worker is presumed dead).
    lease_seconds: float = 30.0

    def __init__(self, *, control_topic: str, ttl_seconds: int) -> None:
        self.control_topic = control_topic
        self.ttl_seconds = ttl_seconds
        self.ack_topic_filter = protocol.ack_topic_filter(control_topic)
        # mid -> (command id, when published, monotonic): publishes awaiting PUBACK.
        self._in_flight: dict[int, tuple[int, float]] = {}
        self._next_poll = 0.0  # monotonic; 0 = poll at the first tick

    def tick(self, publish: Callable[[str, bytes], int] | None) -> None:
        """Called every loop iteration (at least every ~100 ms).

        Polls the database at most every ``poll_interval`` seconds: publishes
        each pending, unexpired command nobody holds with ``publish(topic,
        payload)`` (QoS 1; returns the MQTT message id, or None if it could not
        be queued) and expires overdue ones. ``publish`` is None while the
        client is disconnected: then only expiry runs. Database errors
        propagate; the caller logs them and calls again later.
        """
        clock = time.monotonic()
        if clock < self._next_poll:
            return
        self._next_poll = clock + self.poll_interval
        now = timezone.now()
        full = self._expire_overdue(now)
        self._forget_stale(clock)
        if publish is not None:
            full = self._publish_pending(publish, now) or full
        if full:
            self._next_poll = 0.0

    def on_published(self, mid: int) -> bool:
        """The broker acknowledged message ``mid`` (PUBACK). Marks its command
        ``sent``. Returns False if ``mid`` is not one of the outbox's."""
        entry = self._in_flight.pop(mid, None)
        if entry is None:
            return False
        command_id, _ = entry
        if services.command_mark_sent(command_id=command_id, now=timezone.now()):
            logger.info("Command %s sent (broker acknowledged message %s)", command_id, mid)
        return True

    def on_answer(self, topic: str, payload: bytes) -> str | None:
        """A device answered on its ack topic: ``acknowledged`` / ``failed``.

        Returns None when the answer counted, or was a repeat for a command
        already finished; otherwise logs (WARNING) and returns why it does
        not count (bad JSON, a string id, an unknown command, a command of
        another device), and the ingest dead-letters it (CONTRACT §2).
        Commits before returning; database errors propagate.
        """
        answer = protocol.answer_from_message(topic, payload, topic_filter=self.ack_topic_filter)
        if isinstance(answer, protocol.Rejection):
            logger.warning("Ignored answer on %s: %s", topic, answer.reason)
            return answer.reason
        outcome = services.command_record_answer(
            device_id=answer.device_id,
            command_id=answer.command_id,
            ok=answer.ok,
            detail=answer.detail,
            now=timezone.now(),
        )
        if outcome is AnswerOutcome.RECORDED:
            logger.info(
                "Command %s %s (answer from %s)",
                answer.command_id,
                "acknowledged" if answer.ok else "failed",
                answer.device_id,
            )
            return None
        logger.warning(
            "Ignored answer on %s for command %s: %s", topic, answer.command_id, outcome.value
        )
        if outcome is AnswerOutcome.ALREADY_FINISHED:
            return None  # a redelivery, or a second answer: nothing wrong with the message
        return f"answer for command {answer.command_id}: {outcome.value}"

    def on_disconnect(self) -> None:
        """The connection dropped: commands published but not yet PUBACKed
        stay ``pending`` and are published again after reconnecting.

        Their claims are released so the next tick with a connection publishes
        them again at once. The client may also resend its own copy with the
        old message id; the mids are kept, so whichever PUBACK comes first
        marks the command ``sent``. The device may see it twice and dedupes by id.
        """
        command_ids = sorted({command_id for command_id, _ in self._in_flight.values()})
        if command_ids:
            released = services.commands_release(command_ids=command_ids)
            logger.info("Connection lost: %s unacknowledged command(s) will be resent", released)
        self._next_poll = 0.0

    # --- units of work ------------------------------------------------------------

    def _expire_overdue(self, now: datetime) -> bool:
        overdue = selectors.commands_overdue_ids(now=now, limit=self.batch_size)
        expired = services.commands_expire(command_ids=overdue, now=now)
        if expired:
            logger.info("Expired %s command(s) with no answer: %s", expired, overdue)
        return len(overdue) == self.batch_size

    def _publish_pending(self, publish: Callable[[str, bytes], int], now: datetime) -> bool:
        commands = selectors.commands_to_publish(now=now, limit=self.batch_size)
        for command in commands:
            if not services.command_claim(
                command_id=command.id, now=now, lease_seconds=self.lease_seconds
            ):
                continue  # another worker has it, or it was answered meanwhile
            topic = protocol.command_topic(self.control_topic, command.device_id)
            payload = protocol.command_payload(
                command_id=command.id,
                command=command.command,
                parameters=command.parameters,
                issued_at=command.created_at,
            )
            try:
                mid = publish(topic, payload)
            except Exception:
                logger.exception("Could not publish command %s", command.id)
                mid = None
            if mid is None:
                # Not queued: let it go so that it is retried promptly.
                services.commands_release(command_ids=[command.id])
                return False
            self._in_flight[mid] = (command.id, time.monotonic())
            logger.info(
                "Published command %s (%s) to %s as message %s",
                command.id,
                command.command,
                topic,
                mid,
            )
        return len(commands) == self.batch_size

    def _forget_stale(self, clock: float) -> None:
        """Drop mids whose PUBACK is long overdue (their command was resent)."""
        horizon = clock - 2 * self.lease_seconds - self.ttl_seconds
        for mid, (_, published) in list(self._in_flight.items()):
            if published < horizon:
                del self._in_flight[mid]
