"""The reads of alarms and rules: the API's, the admin's and the metrics'."""

from __future__ import annotations

from django.db.models import QuerySet

from alarms.models import Alarm, AlarmNotification, AlarmRule


def rule_list() -> QuerySet[AlarmRule]:
    """Every rule, oldest first."""
    return AlarmRule.objects.order_by("id")


def alarm_get(*, alarm_id: int) -> Alarm | None:
    """One alarm by id (with the user who acknowledged it), or None."""
    return Alarm.objects.select_related("acknowledged_by").filter(id=alarm_id).first()


def alarm_list(
    *,
    status: str | None = None,
    device_id: str | None = None,
    severity: str | None = None,
    acknowledged: bool | None = None,
) -> QuerySet[Alarm]:
    """Alarms, newest first (by when they started); each filter given narrows them."""
    alarms = Alarm.objects.select_related("acknowledged_by")
    filters = {
        "status": status,
        "device_id": device_id,
        "severity": severity,
        "acknowledged": acknowledged,
    }
    alarms = alarms.filter(**{name: value for name, value in filters.items() if value is not None})
    return alarms.order_by("-started_at", "-id")


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
