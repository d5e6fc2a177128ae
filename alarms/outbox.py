"""Alarm events on MQTT, published from ``mqtt_ingest`` (which owns the connection).

Each notification row is published once on ``alarms/<device_id>`` (QoS 1, not
retained) and marked when the broker acknowledges it (PUBACK), the way the
command outbox works: a worker claims a row with a conditional UPDATE before
publishing it, so two ingest workers never publish the same one at the same
time; a row whose PUBACK never came (connection lost, worker killed) is
published again once its claim lapses. Delivery is at least once, in id
order per worker. Claims and PUBACKs are written a batch at a time: a burst of
alarms costs a few statements, not two commits per notification.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from alarms.models import AlarmNotification

logger = logging.getLogger(__name__)


def alarm_topic(prefix: str, device_id: str) -> str:
    return f"{prefix}/{device_id}"


class AlarmOutbox:
    """Publishes alarm notifications that are not on the broker yet."""

    poll_interval: float = 0.5
    batch_size: int = 500
    lease_seconds: float = 30.0

    def __init__(self, *, topic_prefix: str) -> None:
        self.topic_prefix = topic_prefix
        self._in_flight: dict[int, tuple[int, float]] = {}  # mid -> (notification id, monotonic)
        self._acknowledged: list[int] = []  # PUBACKed ids, marked at the next tick
        self._next_poll = 0.0

    def tick(self, publish: Callable[[str, bytes], int | None] | None) -> None:
        """Called every loop iteration: marks what the broker acknowledged and,
        at most every ``poll_interval`` seconds (at once after a full batch),
        publishes what is due. ``publish`` is None while disconnected.
        Database errors propagate."""
        self._mark_published()
        clock = time.monotonic()
        if publish is None or clock < self._next_poll:
            return
        self._next_poll = clock + self.poll_interval
        self._forget_stale(clock)
        if self._publish_due(publish, timezone.now()):
            self._next_poll = 0.0

    def on_published(self, mid: int) -> bool:
        """PUBACK for ``mid``: its notification is marked published at the
        next tick, with the others acknowledged meanwhile. False if not ours."""
        entry = self._in_flight.pop(mid, None)
        if entry is None:
            return False
        self._acknowledged.append(entry[0])
        return True

    def on_disconnect(self) -> None:
        """Unacknowledged publishes are released: published again after reconnecting."""
        ids = sorted({notification_id for notification_id, _ in self._in_flight.values()})
        if ids:
            AlarmNotification.objects.filter(id__in=ids, mqtt_published_at__isnull=True).update(
                mqtt_claimed_until=None
            )
        self._next_poll = 0.0

    def _mark_published(self) -> None:
        if not self._acknowledged:
            return
        ids, self._acknowledged = self._acknowledged, []
        try:
            AlarmNotification.objects.filter(id__in=ids, mqtt_published_at__isnull=True).update(
                mqtt_published_at=timezone.now(), mqtt_claimed_until=None
            )
        except Exception:
            self._acknowledged = ids + self._acknowledged  # tried again at the next tick
            raise

    def _claim(self, now: datetime) -> list[tuple[int, str, str]]:
        """Take up to ``batch_size`` due notifications for this worker, in id
        order: one transaction, rows another worker is claiming are skipped."""
        due = (
            AlarmNotification.objects.filter(mqtt_published_at__isnull=True)
            .filter(Q(mqtt_claimed_until__isnull=True) | Q(mqtt_claimed_until__lte=now))
            .order_by("id")
        )
        skip_locked = connection.features.has_select_for_update_skip_locked
        with transaction.atomic():
            rows = list(
                due.select_for_update(skip_locked=skip_locked).values_list(
                    "id", "device_id", "body"
                )[: self.batch_size]
            )
            if rows:
                AlarmNotification.objects.filter(id__in=[row[0] for row in rows]).update(
                    mqtt_claimed_until=now + timedelta(seconds=self.lease_seconds)
                )
        return rows

    def _publish_due(self, publish: Callable[[str, bytes], int | None], now: datetime) -> bool:
        rows = self._claim(now)
        for position, (notification_id, device_id, body) in enumerate(rows):
            topic = alarm_topic(self.topic_prefix, device_id)
            try:
                mid = publish(topic, body.encode())
            except Exception:
                logger.exception("Could not publish alarm notification %s", notification_id)
                mid = None
            if mid is None:
                # Not queued: give back this claim and the rest, to be retried promptly.
                unsent = [row[0] for row in rows[position:]]
                AlarmNotification.objects.filter(id__in=unsent).update(mqtt_claimed_until=None)
                return False
            self._in_flight[mid] = (notification_id, time.monotonic())
        return len(rows) == self.batch_size

    def _forget_stale(self, clock: float) -> None:
        horizon = clock - 2 * self.lease_seconds
        for mid, (_, published) in list(self._in_flight.items()):
            if published < horizon:
                del self._in_flight[mid]
