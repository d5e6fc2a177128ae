"""Making notifications: one outbox row per raise or clear, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

import orjson
from django.conf import settings

from alarms.documents import alarm_document
from alarms.models import Alarm, AlarmNotification


def notification_add(*, alarm: Alarm, event: str, now: datetime) -> AlarmNotification:
    """Queue ``alarm``'s current state for MQTT and, when a webhook is
    configured, for the webhook; runs in the transaction that changed it."""
    return AlarmNotification.objects.create(
        alarm=alarm,
        event=event,
        device_id=alarm.device_id,
        body=orjson.dumps(alarm_document(alarm)).decode(),
        created_at=now,
        webhook_due=bool(settings.ALARM_WEBHOOK_URL),
        webhook_next_attempt_at=now,
    )
