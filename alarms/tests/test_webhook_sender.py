"""The webhook outbox on its own: order, backoff, give-up, claims, signature.

A real database and a real HTTP receiver; no ingest, no broker."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest
from django.utils import timezone

from alarms.models import Alarm, AlarmNotification, WebhookAttempt
from alarms.notifications import notification_add
from alarms.tests.receivers import WebhookReceiver
from alarms.webhook import WebhookSender, signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    receiver = WebhookReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture(autouse=True)
def webhook_on(settings):
    settings.ALARM_WEBHOOK_URL = "http://127.0.0.1:9/unused"


def sender(url: str, **overrides) -> WebhookSender:
    values = {"secret": "s3cret", "timeout": 0.5, "max_backoff": 600, "give_up": 3600} | overrides
    return WebhookSender(url=url, **values)


def notifications(count: int) -> list[AlarmNotification]:
    now = timezone.now()
    made = []
    for number in range(count):
        alarm = Alarm.objects.create(
            kind="offline", device_id=f"dev-{number}", severity="major", started_at=now
        )
        made.append(notification_add(alarm=alarm, event="raised", now=now))
    return made


def test_the_signature_is_hmac_sha256_of_the_body():
    expected = hmac.new(b"key", b'{"id":1}', hashlib.sha256).hexdigest()
    assert signature("key", b'{"id":1}') == f"sha256={expected}"


def test_it_posts_in_id_order_with_the_signature_and_delivery_id(receiver):
    made = notifications(3)
    webhook = sender(receiver.url)
    for _ in range(3):
        assert webhook.step() == 0.0
    assert webhook.step() > 0  # nothing left: idle
    assert [int(h["x-autoforge-delivery"]) for _, h, _ in receiver.posts] == [n.id for n in made]
    for _, headers, body in receiver.posts:
        assert headers["x-autoforge-signature"] == signature("s3cret", body)
        assert headers["content-type"] == "application/json"
    assert AlarmNotification.objects.filter(webhook_delivered_at=None).count() == 0


def test_a_failing_head_holds_the_queue_and_backs_off_exponentially(receiver):
    first, second = notifications(2)
    receiver.mode = "error"
    webhook = sender(receiver.url, max_backoff=4)
    now = timezone.now()
    waits = []
    for _ in range(5):
        webhook.step(now)
        first.refresh_from_db()
        tried = WebhookAttempt.objects.latest("id").attempted_at
        waits.append((first.webhook_next_attempt_at - tried).total_seconds())
        now = first.webhook_next_attempt_at
    assert [round(w) for w in waits] == [1, 2, 4, 4, 4]
    assert {int(h["x-autoforge-delivery"]) for _, h, _ in receiver.posts} == {first.id}
    assert WebhookAttempt.objects.filter(notification=first, status_code=500).count() == 5
    second.refresh_from_db()
    assert second.webhook_attempts == 0


def test_it_waits_for_the_next_attempt_time():
    (only,) = notifications(1)
    AlarmNotification.objects.filter(id=only.id).update(
        webhook_next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    assert sender("http://127.0.0.1:9/").step() == 1.0
    assert not WebhookAttempt.objects.exists()


def test_it_gives_up_after_the_give_up_time_and_moves_on(receiver):
    stale, fresh = notifications(2)
    AlarmNotification.objects.filter(id=stale.id).update(
        created_at=timezone.now() - timedelta(hours=2)
    )
    webhook = sender(receiver.url, give_up=3600)
    webhook.step()
    webhook.step()
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.webhook_failed_at is not None
    assert stale.webhook_delivered_at is None
    assert fresh.webhook_delivered_at is not None


def test_a_head_claimed_by_another_worker_is_left_alone(receiver):
    (only,) = notifications(1)
    AlarmNotification.objects.filter(id=only.id).update(
        webhook_claimed_until=timezone.now() + timedelta(seconds=30)
    )
    sender(receiver.url).step()
    assert receiver.posts == []


def test_nothing_is_due_for_the_webhook_when_none_was_configured(settings, receiver):
    settings.ALARM_WEBHOOK_URL = ""
    notifications(1)
    sender(receiver.url).step()
    assert receiver.posts == []


def test_a_receiver_that_is_down_is_recorded_as_an_error():
    (only,) = notifications(1)
    webhook = sender("http://127.0.0.1:1/closed")
    webhook.step()
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert "refused" in attempt.error.lower()
    only.refresh_from_db()
    assert only.webhook_attempts == 1
