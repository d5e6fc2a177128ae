"""Alarm evaluation, inside the transaction that stores a batch of readings.

``sensors.services.readings_store`` calls ``readings_evaluate`` with the
readings it has just inserted (never a duplicate) before it updates the device
registry, under the readings' write lock: ingest workers evaluate one batch at
a time, in commit order, so pending runs and active alarms are exact with any
number of workers, and a restart neither loses nor repeats a pending duration
(the state is committed with the readings it comes from).

A late reading, one not newer than the newest reading already stored for its
device, is stored but moves no alarm: alarms follow device time forward only.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from django.db import transaction

from alarms.conditions import Condition, Track
from alarms.models import Alarm, AlarmRule, AlarmRuleState
from alarms.notifications import notification_add
from devices.models import Device

logger = logging.getLogger(__name__)


class ReadingLike(Protocol):
    device_id: str
    timestamp: datetime
    temperature: float
    vibration: float
    gas: float
    power: float


def readings_evaluate(*, readings: Sequence[ReadingLike], now: datetime) -> None:
    """Clear the offline alarms of the devices heard from, then run the
    enabled rules over ``readings``. A failure here is logged and undone to a
    savepoint: it never costs the readings their place in the database."""
    if not readings:
        return
    savepoint = transaction.savepoint()
    try:
        _evaluate(readings, now)
    except Exception:
        transaction.savepoint_rollback(savepoint)  # raises in turn if the database is gone
        logger.exception("Alarm evaluation failed for a batch of %d readings", len(readings))
    else:
        transaction.savepoint_commit(savepoint)


def _evaluate(readings: Sequence[ReadingLike], now: datetime) -> None:
    device_ids = sorted({reading.device_id for reading in readings})
    _offline_alarms_clear(device_ids, now)
    rules = list(AlarmRule.objects.select_for_update().filter(enabled=True).order_by("id"))
    if not rules:
        return
    previous = dict(
        Device.objects.filter(device_id__in=device_ids).values_list("device_id", "latest_timestamp")
    )
    by_device: dict[str, list[ReadingLike]] = defaultdict(list)
    for reading in readings:
        newest = previous.get(reading.device_id)
        if newest is None or reading.timestamp > newest:
            by_device[reading.device_id].append(reading)
    if not by_device:
        return
    devices = sorted(by_device)
    rule_ids = [rule.id for rule in rules]
    states = {
        (state.rule_id, state.device_id): state
        for state in AlarmRuleState.objects.filter(device_id__in=devices, rule_id__in=rule_ids)
    }
    active = {
        (alarm.rule_id, alarm.device_id): alarm
        for alarm in Alarm.objects.select_for_update().filter(
            status=Alarm.Status.ACTIVE,
            kind=Alarm.Kind.THRESHOLD,
            device_id__in=devices,
            rule_id__in=rule_ids,
        )
    }
    for device_id in devices:
        device_readings = sorted(by_device[device_id], key=lambda reading: reading.timestamp)
        for rule in rules:
            if rule.device_id is not None and rule.device_id != device_id:
                continue
            _rule_apply(rule, device_id, device_readings, states, active, now)


def rule_condition(rule: AlarmRule) -> Condition:
    clear = rule.threshold if rule.clear_threshold is None else rule.clear_threshold
    return Condition(
        operator=rule.operator, threshold=rule.threshold, clear=clear, for_seconds=rule.for_seconds
    )


def _rule_apply(
    rule: AlarmRule,
    device_id: str,
    readings: list[ReadingLike],
    states: dict[tuple[int, str], AlarmRuleState],
    active: dict[tuple[int, str], Alarm],
    now: datetime,
) -> None:
    key = (rule.id, device_id)
    state = states.get(key)
    alarm = active.get(key)
    condition = rule_condition(rule)
    metric = rule.metric
    values = [(reading.timestamp, getattr(reading, metric)) for reading in readings]
    if state is None and alarm is None and not any(condition.holds(v) for _, v in values):
        return  # the usual case: nothing pending, nothing active, nothing new
    track = Track(
        breach_since=state.breach_since if state is not None else None,
        active=alarm is not None,
        worst=alarm.value if alarm is not None else None,
    ).run(condition, values)
    for kind, timestamp, value in track.events:
        if kind == "raised":
            alarm = Alarm.objects.create(
                kind=Alarm.Kind.THRESHOLD,
                rule=rule,
                rule_name=rule.name,
                device_id=device_id,
                metric=metric,
                severity=rule.severity,
                value=value,
                threshold=rule.threshold,
                started_at=timestamp,
                active_key=Alarm.rule_key(rule.id, device_id),
            )
            notification_add(alarm=alarm, event="raised", now=now)
        else:
            assert alarm is not None
            alarm_clear(alarm, at=timestamp, now=now)
            alarm = None
    if alarm is not None and track.worst is not None and track.worst != alarm.value:
        alarm.value = track.worst
        alarm.save(update_fields=["value"])
    if track.breach_since is None:
        if state is not None:
            state.delete()
    elif state is None:
        AlarmRuleState.objects.create(
            rule=rule, device_id=device_id, breach_since=track.breach_since
        )
    elif state.breach_since != track.breach_since:
        state.breach_since = track.breach_since
        state.save(update_fields=["breach_since"])


def alarm_clear(alarm: Alarm, *, at: datetime, now: datetime) -> None:
    """Clear ``alarm`` (cleared at ``at``) and queue the notification."""
    alarm.status = Alarm.Status.CLEARED
    alarm.cleared_at = at
    alarm.active_key = None
    alarm.save(update_fields=["status", "cleared_at", "active_key", "value"])
    notification_add(alarm=alarm, event="cleared", now=now)


def _offline_alarms_clear(device_ids: list[str], now: datetime) -> None:
    keys = [Alarm.offline_key(device_id) for device_id in device_ids]
    for alarm in Alarm.objects.select_for_update().filter(active_key__in=keys):
        alarm_clear(alarm, at=now, now=now)
