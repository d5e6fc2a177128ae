"""The reads of alarms that are not the API's."""

from __future__ import annotations

from alarms.models import Alarm, AlarmNotification


def alarms_active_count() -> int:
    return Alarm.objects.filter(status=Alarm.Status.ACTIVE).count()


def notifications_pending_counts() -> dict[str, int]:
    """Alarm notifications not delivered yet, by channel ("mqtt", "webhook")."""
    return {
        "mqtt": AlarmNotification.objects.filter(mqtt_published_at=None).count(),
        "webhook": AlarmNotification.objects.filter(
            webhook_due=True, webhook_delivered_at=None, webhook_failed_at=None
        ).count(),
    }
