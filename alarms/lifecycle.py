"""Raising and clearing an alarm: the row and its notification, in the caller's transaction.

Every change of an alarm goes through here (the ingest's evaluation, the
offline check, a rule disabled or deleted), so none is made without its
announcement in the outbox.
"""

from __future__ import annotations

from datetime import datetime

from alarms.models import Alarm
from alarms.notifications import notification_add


def alarm_raise(*, now: datetime, **fields: object) -> Alarm:
    """Create an active alarm from ``fields`` and queue its "raised" notification."""
    alarm = Alarm.objects.create(**fields)
    notification_add(alarm=alarm, event="raised", now=now)
    return alarm


def alarm_clear(alarm: Alarm, *, at: datetime, now: datetime) -> None:
    """Clear ``alarm`` (cleared at ``at``; its worst value as it stands) and
    queue its "cleared" notification."""
    alarm.status = Alarm.Status.CLEARED
    alarm.cleared_at = at
    alarm.active_key = None
    alarm.save(update_fields=["status", "cleared_at", "active_key", "value"])
    notification_add(alarm=alarm, event="cleared", now=now)
