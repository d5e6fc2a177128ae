"""The JSON shapes of an alarm rule and an alarm (contract §3), shared by the
API, the MQTT events and the webhook bodies."""

from __future__ import annotations

from datetime import datetime

from alarms.models import Alarm, AlarmRule
from autoforge.timefmt import iso_utc


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else iso_utc(moment)


def rule_document(rule: AlarmRule) -> dict:
    return {
        "id": rule.id,
        "name": rule.name,
        "metric": rule.metric,
        "operator": rule.operator,
        "threshold": rule.threshold,
        "clear_threshold": rule.clear_threshold,
        "for_seconds": rule.for_seconds,
        "severity": rule.severity,
        "device_id": rule.device_id,
        "enabled": rule.enabled,
    }


def alarm_document(alarm: Alarm) -> dict:
    """``acknowledged_by`` is the user's name (``alarm.acknowledged_by`` is
    read: select it with the alarm when documenting many)."""
    user = alarm.acknowledged_by if alarm.acknowledged_by_id is not None else None
    return {
        "id": alarm.id,
        "kind": alarm.kind,
        "rule_id": alarm.rule_id,
        "rule": alarm.rule_name or None,
        "device_id": alarm.device_id,
        "metric": alarm.metric,
        "severity": alarm.severity,
        "status": alarm.status,
        "value": alarm.value,
        "threshold": alarm.threshold,
        "started_at": _iso(alarm.started_at),
        "cleared_at": _iso(alarm.cleared_at),
        "acknowledged": alarm.acknowledged,
        "acknowledged_by": user.get_username() if user is not None else None,
        "acknowledged_at": _iso(alarm.acknowledged_at),
    }
