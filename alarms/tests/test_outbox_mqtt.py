"""The alarm outbox's MQTT side without a broker: claims, PUBACK, reconnects (real database)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from alarms.models import Alarm, AlarmNotification
from alarms.notifications import notification_add
from alarms.outbox import AlarmOutbox
from alarms.selectors import notifications_pending_counts

pytestmark = pytest.mark.django_db


class Publisher:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    def __call__(self, topic: str, payload: bytes) -> int:
        self.sent.append((topic, payload))
        return len(self.sent)


def notification(device_id: str = "dev-1") -> AlarmNotification:
    now = timezone.now()
    alarm = Alarm.objects.create(
        kind="offline", device_id=device_id, severity="major", started_at=now
    )
    return notification_add(alarm=alarm, event="raised", now=now)


def test_it_publishes_each_notification_on_its_device_topic_and_marks_it_on_puback():
    first, second = notification("dev-1"), notification("dev-2")
    outbox, publish = AlarmOutbox(topic_prefix="alarms"), Publisher()
    outbox.tick(publish)
    assert publish.sent == [
        ("alarms/dev-1", first.body.encode()),
        ("alarms/dev-2", second.body.encode()),
    ]
    assert notifications_pending_counts()["mqtt"] == 2
    assert outbox.on_published(1)
    assert not outbox.on_published(99)
    outbox.tick(None)  # marks what was acknowledged, even while disconnected
    assert notifications_pending_counts()["mqtt"] == 1
    first.refresh_from_db()
    assert first.mqtt_published_at is not None


def test_two_workers_never_publish_the_same_notification_at_once():
    notification()
    one, two = AlarmOutbox(topic_prefix="alarms"), AlarmOutbox(topic_prefix="alarms")
    first, second = Publisher(), Publisher()
    one.tick(first)
    two.tick(second)
    assert len(first.sent) == 1
    assert second.sent == []


def test_after_a_disconnect_an_unacknowledged_one_is_published_again():
    notification()
    outbox, publish = AlarmOutbox(topic_prefix="alarms"), Publisher()
    outbox.tick(publish)
    outbox.on_disconnect()
    outbox.tick(publish)
    assert len(publish.sent) == 2


def test_nothing_is_published_while_disconnected():
    notification()
    outbox = AlarmOutbox(topic_prefix="alarms")
    outbox.tick(None)
    assert notifications_pending_counts()["mqtt"] == 1


def test_a_burst_is_claimed_and_marked_a_batch_at_a_time(django_assert_max_num_queries):
    for number in range(300):
        notification(f"dev-{number}")
    outbox, publish = AlarmOutbox(topic_prefix="alarms"), Publisher()
    with django_assert_max_num_queries(6):
        outbox.tick(publish)
    assert len(publish.sent) == 300
    for mid in range(1, 301):
        outbox.on_published(mid)
    with django_assert_max_num_queries(2):
        outbox.tick(None)
    assert notifications_pending_counts()["mqtt"] == 0
