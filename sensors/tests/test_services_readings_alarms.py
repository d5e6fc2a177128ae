"""Alarms evaluated in the transaction that stores readings (real database, no broker)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from alarms.models import Alarm, AlarmNotification, AlarmRule, AlarmRuleState
from alarms.offline import offline_alarms_raise
from alarms.services import rule_delete, rule_update
from devices.models import Device
from sensors.services import readings_store
from sensors.validation import Reading

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 29, 14, 0, tzinfo=UTC)


def reading(seconds: float, temperature: float, device_id: str = "press-1", **other) -> Reading:
    values = {"vibration": 1.0, "gas": 400.0, "power": 100.0} | other
    return Reading(
        device_id=device_id,
        temperature=temperature,
        timestamp=T0 + timedelta(seconds=seconds),
        **values,
    )


def store(*readings: Reading) -> None:
    readings_store(readings=list(readings))


def rule(**fields) -> AlarmRule:
    values = {
        "name": "hot",
        "metric": "temperature",
        "operator": ">",
        "threshold": 80.0,
        "severity": "critical",
    } | fields
    return AlarmRule.objects.create(**values)


def events() -> list[tuple[str, str, str]]:
    return [
        (n.event, n.device_id, json.loads(n.body)["status"])
        for n in AlarmNotification.objects.order_by("id")
    ]


def test_a_duration_met_across_batches_raises_once_with_the_worst_value():
    hot = rule(for_seconds=10, clear_threshold=70.0)
    store(reading(0, 81), reading(5, 85))
    assert not Alarm.objects.exists()
    assert AlarmRuleState.objects.get().breach_since == T0

    store(reading(10, 83), reading(11, 95), reading(12, 75))

    alarm = Alarm.objects.get()
    assert (alarm.status, alarm.rule_id, alarm.rule_name) == ("active", hot.id, "hot")
    assert alarm.started_at == T0 + timedelta(seconds=10)
    assert alarm.value == 95
    assert alarm.threshold == 80
    assert not AlarmRuleState.objects.exists()
    assert events() == [("raised", "press-1", "active")]

    store(reading(13, 70))

    alarm.refresh_from_db()
    assert alarm.status == "cleared"
    assert alarm.cleared_at == T0 + timedelta(seconds=13)
    assert alarm.value == 95
    assert events() == [("raised", "press-1", "active"), ("cleared", "press-1", "cleared")]


def test_readings_out_of_order_in_one_batch_are_taken_in_timestamp_order():
    rule(for_seconds=10)
    store(reading(10, 81), reading(0, 81), reading(5, 79))
    assert not Alarm.objects.exists()
    assert AlarmRuleState.objects.get().breach_since == T0 + timedelta(seconds=10)


def test_a_late_reading_moves_no_alarm():
    rule()
    store(reading(10, 50))
    store(reading(5, 99))  # older than what is stored: stored, not evaluated
    assert not Alarm.objects.exists()
    store(reading(11, 99))
    alarm = Alarm.objects.get()
    store(reading(8, 10))  # late: does not clear
    alarm.refresh_from_db()
    assert alarm.status == "active"


def test_a_duplicate_is_never_evaluated_twice():
    rule()
    store(reading(0, 99))
    store(reading(1, 10))
    store(reading(0, 99))  # redelivered: not stored, so not raised again
    assert list(Alarm.objects.values_list("status", flat=True)) == ["cleared"]


def test_one_rule_for_one_device_and_one_for_every_device():
    rule(name="every device")
    rule(name="press-2 only", device_id="press-2", threshold=60.0, severity="minor")
    store(reading(0, 70, "press-1"), reading(0, 70, "press-2"))
    assert list(Alarm.objects.values_list("rule_name", "device_id")) == [
        ("press-2 only", "press-2")
    ]
    store(reading(1, 90, "press-1"), reading(1, 90, "press-2"))
    assert sorted(Alarm.objects.values_list("rule_name", "device_id")) == [
        ("every device", "press-1"),
        ("every device", "press-2"),
        ("press-2 only", "press-2"),
    ]


def test_several_rules_on_one_device_each_hold_their_own_alarm():
    rule(name="warm", threshold=60.0, severity="warning")
    rule(name="hot", threshold=80.0)
    rule(name="shaking", metric="vibration", operator=">=", threshold=5.0, severity="major")
    store(reading(0, 70, vibration=5.0), reading(1, 85, vibration=1.0))
    alarms = {a.rule_name: a for a in Alarm.objects.all()}
    assert alarms["warm"].status == "active"
    assert alarms["hot"].status == "active"
    assert alarms["shaking"].status == "cleared"


def test_a_rule_disabled_mid_alarm_clears_it_and_raises_no_more():
    hot = rule()
    store(reading(0, 99))
    rule_update(rule=hot, enabled=False)
    alarm = Alarm.objects.get()
    assert alarm.status == "cleared"
    store(reading(1, 99))
    assert Alarm.objects.count() == 1
    assert [e for e, _, _ in events()] == ["raised", "cleared"]


def test_a_deleted_rule_clears_its_alarm_which_keeps_the_rule_name():
    hot = rule()
    store(reading(0, 99))
    rule_delete(rule=hot)
    alarm = Alarm.objects.get()
    assert (alarm.status, alarm.rule_id, alarm.rule_name) == ("cleared", None, "hot")


def test_a_silent_device_gets_one_offline_alarm_and_its_next_reading_clears_it():
    store(reading(0, 20))
    device = Device.objects.get()
    later = device.last_seen + timedelta(seconds=601)
    assert offline_alarms_raise(now=later, offline_after_seconds=600) == 1
    assert offline_alarms_raise(now=later, offline_after_seconds=600) == 0
    alarm = Alarm.objects.get()
    assert (alarm.kind, alarm.severity, alarm.rule_id, alarm.status) == (
        "offline",
        "major",
        None,
        "active",
    )
    assert alarm.started_at == device.last_seen + timedelta(seconds=600)

    store(reading(1, 20))

    alarm.refresh_from_db()
    assert alarm.status == "cleared"
    assert [e for e, _, _ in events()] == ["raised", "cleared"]


def test_a_device_heard_from_recently_is_not_offline():
    store(reading(0, 20))
    assert offline_alarms_raise(now=timezone.now(), offline_after_seconds=600) == 0


def test_a_failing_evaluation_costs_the_readings_nothing(monkeypatch):
    rule()

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in a rule")

    monkeypatch.setattr("alarms.evaluation._rule_apply", broken)
    store(reading(0, 99))
    from sensors.models import SensorReading

    assert SensorReading.objects.count() == 1
    assert Device.objects.get().reading_count == 1
    assert not Alarm.objects.exists()
