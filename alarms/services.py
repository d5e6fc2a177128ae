"""The writes of alarms made by people: rules and acknowledgements.

A rule that is disabled or deleted clears its active alarms and forgets its
pending runs. The rule row is locked first: the ingest's evaluation locks the
enabled rules it uses (``alarms.evaluation``), so a change waits for a batch
being evaluated, and the next batch sees it.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from alarms.lifecycle import alarm_clear
from alarms.models import Alarm, AlarmRule, AlarmRuleState

RULE_FIELDS = (
    "name",
    "metric",
    "operator",
    "threshold",
    "clear_threshold",
    "for_seconds",
    "severity",
    "device_id",
    "enabled",
)
#: The longest ``for_seconds``: a month of unbroken readings is already more
#: than any plant condition; past it a typo would make a rule that never fires.
FOR_SECONDS_MAX = 30 * 86400


def clear_threshold_problem(*, operator: str, threshold: float, clear: float | None) -> str | None:
    """Why ``clear`` cannot be the clear threshold of the rule, or None."""
    if clear is None:
        return None
    if operator in (">", ">=") and clear > threshold:
        return f"For {operator!r} it may not exceed the threshold ({threshold:g})."
    if operator in ("<", "<=") and clear < threshold:
        return f"For {operator!r} it may not be below the threshold ({threshold:g})."
    return None


def rule_create(**fields: object) -> AlarmRule:
    return AlarmRule.objects.create(**fields)


def rule_update(*, rule: AlarmRule, **fields: object) -> AlarmRule:
    """Change ``rule``; its pending runs restart (their meaning may have
    changed) and, when it is disabled or now looks at another device, its
    alarms that no longer apply clear."""
    with transaction.atomic():
        locked = AlarmRule.objects.select_for_update().get(pk=rule.pk)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save()
        AlarmRuleState.objects.filter(rule=locked).delete()
        stale = Alarm.objects.filter(rule=locked, status=Alarm.Status.ACTIVE)
        if locked.enabled and locked.device_id:
            stale = stale.exclude(device_id=locked.device_id)
        elif locked.enabled:
            stale = stale.none()
        _clear(stale)
    return locked


def rule_delete(*, rule: AlarmRule) -> None:
    """Delete ``rule``; its active alarms clear (the alarms stay, naming it)."""
    with transaction.atomic():
        locked = AlarmRule.objects.select_for_update().get(pk=rule.pk)
        _clear(Alarm.objects.filter(rule=locked, status=Alarm.Status.ACTIVE))
        locked.delete()


def _clear(alarms) -> None:
    now = timezone.now()
    for alarm in alarms.select_for_update():
        alarm_clear(alarm, at=now, now=now)


def alarm_acknowledge(*, alarm: Alarm, user: AbstractBaseUser) -> Alarm:
    """Mark ``alarm`` acknowledged by ``user`` (again: keeps the first)."""
    with transaction.atomic():
        locked = Alarm.objects.select_for_update().get(pk=alarm.pk)
        if not locked.acknowledged:
            locked.acknowledged = True
            locked.acknowledged_by = user
            locked.acknowledged_at = timezone.now()
            locked.save(update_fields=["acknowledged", "acknowledged_by", "acknowledged_at"])
    return locked
