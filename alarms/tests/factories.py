"""Rules, alarms and API clients for the alarm tests (the evaluation is not tested here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.contrib.auth.models import Permission, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from alarms.models import Alarm, AlarmRule

T0 = datetime(2026, 1, 29, 14, 0, tzinfo=UTC)

RULE_BODY = {
    "name": "Hot press",
    "metric": "temperature",
    "operator": ">",
    "threshold": 80.0,
    "severity": "critical",
}


def user_with(username: str, *codenames: str) -> User:
    user = User.objects.create_user(username, password=f"{username}-password")
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def token_client(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def add_rule(**fields: object) -> AlarmRule:
    return AlarmRule.objects.create(**{**RULE_BODY, **fields})


def add_alarm(
    *,
    rule: AlarmRule | None = None,
    device_id: str = "press-1",
    minutes: int = 0,
    status: str = "active",
    severity: str | None = None,
    acknowledged: bool = False,
) -> Alarm:
    """An alarm as the evaluation would raise it, ``minutes`` after T0."""
    started_at = T0 + timedelta(minutes=minutes)
    active = status == Alarm.Status.ACTIVE
    if rule is None:
        return Alarm.objects.create(
            kind=Alarm.Kind.OFFLINE,
            device_id=device_id,
            severity=severity or "major",
            status=status,
            started_at=started_at,
            cleared_at=None if active else started_at + timedelta(minutes=1),
            acknowledged=acknowledged,
            active_key=Alarm.offline_key(device_id) if active else None,
        )
    return Alarm.objects.create(
        kind=Alarm.Kind.THRESHOLD,
        rule=rule,
        rule_name=rule.name,
        device_id=device_id,
        metric=rule.metric,
        severity=severity or rule.severity,
        status=status,
        value=rule.threshold + 5,
        threshold=rule.threshold,
        started_at=started_at,
        cleared_at=None if active else started_at + timedelta(minutes=1),
        acknowledged=acknowledged,
        active_key=Alarm.rule_key(rule.id, device_id) if active else None,
    )
