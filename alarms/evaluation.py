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
from operator import attrgetter
from typing import Protocol

from django.db import transaction

from alarms.conditions import Condition, Track
from alarms.lifecycle import alarm_clear, alarm_raise
from alarms.models import Alarm, AlarmRule, AlarmRuleState
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
    # One query for the devices' active alarms: offline ones clear now, the
    # others are the rules' (below).
    active: dict[tuple[int, str], Alarm] = {}
    for alarm in Alarm.objects.select_for_update().filter(
        status=Alarm.Status.ACTIVE, device_id__in=device_ids
    ):
        if alarm.kind == Alarm.Kind.OFFLINE:
            alarm_clear(alarm, at=now, now=now)
        elif alarm.rule_id is not None:
            active[alarm.rule_id, alarm.device_id] = alarm
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
    states: dict[tuple[int, str], AlarmRuleState] = {}
    if any(rule.for_seconds for rule in rules):  # only those have pending runs
        states = {
            (state.rule_id, state.device_id): state
            for state in AlarmRuleState.objects.filter(
                device_id__in=devices, rule_id__in=[rule.id for rule in rules]
            )
        }
    for device_id in devices:
        batch = DeviceBatch(by_device[device_id])
        for rule in rules:
            if rule.device_id is not None and rule.device_id != device_id:
                continue
            _rule_apply(rule, device_id, batch, states, active, now)


class DeviceBatch:
    """One device's new readings in timestamp order, read a metric at a time.

    The usual batch raises nothing: its least and greatest value of a metric
    tell each rule so with one comparison, instead of one per reading.
    """

    def __init__(self, readings: list[ReadingLike]) -> None:
        self.readings = sorted(readings, key=attrgetter("timestamp"))
        self._columns: dict[str, list[float]] = {}
        self._extremes: dict[str, tuple[float, float]] = {}

    def column(self, metric: str) -> list[float]:
        column = self._columns.get(metric)
        if column is None:
            column = self._columns[metric] = [getattr(r, metric) for r in self.readings]
        return column

    def extremes(self, metric: str) -> tuple[float, float]:
        extremes = self._extremes.get(metric)
        if extremes is None:
            column = self.column(metric)
            extremes = self._extremes[metric] = (min(column), max(column))
        return extremes

    def values(self, metric: str) -> list[tuple[datetime, float]]:
        """(timestamp, value) of each reading."""
        return list(zip((r.timestamp for r in self.readings), self.column(metric), strict=True))


def rule_condition(rule: AlarmRule) -> Condition:
    clear = rule.threshold if rule.clear_threshold is None else rule.clear_threshold
    return Condition(
        operator=rule.operator, threshold=rule.threshold, clear=clear, for_seconds=rule.for_seconds
    )


def _rule_apply(
    rule: AlarmRule,
    device_id: str,
    batch: DeviceBatch,
    states: dict[tuple[int, str], AlarmRuleState],
    active: dict[tuple[int, str], Alarm],
    now: datetime,
) -> None:
    key = (rule.id, device_id)
    state = states.get(key)
    alarm = active.get(key)
    condition = rule_condition(rule)
    metric = rule.metric
    if state is None and alarm is None and not condition.holds_for_some(*batch.extremes(metric)):
        return  # the usual case: nothing pending, nothing active, nothing new
    values = batch.values(metric)
    track = Track(
        breach_since=state.breach_since if state is not None else None,
        active=alarm is not None,
        worst=alarm.value if alarm is not None else None,
    ).run(condition, values)
    for kind, timestamp, value in track.events:
        if kind == "raised":
            alarm = alarm_raise(
                now=now,
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
