"""Alarm events on MQTT, published from ``mqtt_ingest`` (which owns the connection).

Each notification row is published once on ``alarms/<device_id>`` (QoS 1, not
retained) and marked when the broker acknowledges it (PUBACK), the way the
command outbox works: a worker claims a row with a conditional UPDATE before
publishing it, so two ingest workers never publish the same one at the same
time; a row whose PUBACK never came (connection lost, worker killed) is
published again once its claim lapses. Delivery is at least once, in id
order per worker.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from alarms.models import AlarmNotification

logger = logging.getLogger(__name__)


def alarm_topic(prefix: str, device_id: str) -> str:
    return f"{prefix}/{device_id}"


class AlarmOutbox:
    """Publishes alarm notifications that are not on the broker yet."""

    poll_interval: float = 0.5
    batch_size: int = 100
    lease_seconds: float = 30.0

    def __init__(self, *, topic_prefix: str) -> None:
        self.topic_prefix = topic_prefix
        self._in_flight: dict[int, tuple[int, float]] = {}  # mid -> (notification id, monotonic)
        self._next_poll = 0.0

    def tick(self, publish: Callable[[str, bytes], int | None] | None) -> None:
        """Called every loop iteration; polls at most every ``poll_interval``
        seconds. ``publish`` is None while disconnected. Database errors propagate."""
        clock = time.monotonic()
        if publish is None or clock < self._next_poll:
            return
        self._next_poll = clock + self.poll_interval
        self._forget_stale(clock)
        if self._publish_due(publish, timezone.now()):
            self._next_poll = 0.0

    def on_published(self, mid: int) -> bool:
        """PUBACK for ``mid``: marks its notification published. False if not ours."""
        entry = self._in_flight.pop(mid, None)
        if entry is None:
            return False
        AlarmNotification.objects.filter(id=entry[0], mqtt_published_at__isnull=True).update(
            mqtt_published_at=timezone.now(), mqtt_claimed_until=None
        )
        return True

    def on_disconnect(self) -> None:
        """Unacknowledged publishes are released: published again after reconnecting."""
        ids = sorted({notification_id for notification_id, _ in self._in_flight.values()})
        if ids:
            AlarmNotification.objects.filter(id__in=ids, mqtt_published_at__isnull=True).update(
                mqtt_claimed_until=None
            )
        self._next_poll = 0.0

    def _publish_due(self, publish: Callable[[str, bytes], int | None], now: datetime) -> bool:
        due = list(
            AlarmNotification.objects.filter(mqtt_published_at__isnull=True)
            .filter(Q(mqtt_claimed_until__isnull=True) | Q(mqtt_claimed_until__lte=now))
            .order_by("id")
            .values_list("id", "device_id", "body")[: self.batch_size]
        )
        for notification_id, device_id, body in due:
            claimed = (
                AlarmNotification.objects.filter(id=notification_id, mqtt_published_at__isnull=True)
                .filter(Q(mqtt_claimed_until__isnull=True) | Q(mqtt_claimed_until__lte=now))
                .update(mqtt_claimed_until=now + timedelta(seconds=self.lease_seconds))
            )
            if not claimed:
                continue  # another worker has it
            topic = alarm_topic(self.topic_prefix, device_id)
            try:
                mid = publish(topic, body.encode())
            except Exception:
                logger.exception("Could not publish alarm notification %s", notification_id)
                mid = None
            if mid is None:
                AlarmNotification.objects.filter(id=notification_id).update(mqtt_claimed_until=None)
                return False
            self._in_flight[mid] = (notification_id, time.monotonic())
        return len(due) == self.batch_size

    def _forget_stale(self, clock: float) -> None:
        horizon = clock - 2 * self.lease_seconds
        for mid, (_, published) in list(self._in_flight.items()):
            if published < horizon:
                del self._in_flight[mid]
