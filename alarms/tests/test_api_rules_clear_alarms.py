"""A rule disabled, moved or deleted through the API clears the alarms it no longer raises."""

from __future__ import annotations

import pytest

from alarms.models import Alarm, AlarmNotification, AlarmRuleState
from alarms.tests.factories import T0, add_alarm, add_rule, token_client

pytestmark = pytest.mark.django_db


def test_disabling_a_rule_clears_its_active_alarm(rule_editor):
    rule = add_rule()
    alarm = add_alarm(rule=rule)

    response = token_client(rule_editor).patch(
        f"/api/alarm-rules/{rule.id}", {"enabled": False}, format="json"
    )

    assert response.status_code == 200
    alarm.refresh_from_db()
    assert alarm.status == "cleared"
    assert alarm.cleared_at is not None
    assert alarm.active_key is None
    notification = AlarmNotification.objects.get()
    assert (notification.alarm_id, notification.event) == (alarm.id, "cleared")
    assert '"status":"cleared"' in notification.body


def test_deleting_a_rule_clears_its_alarm_which_keeps_the_rules_name(rule_editor):
    rule = add_rule(name="Hot press")
    alarm = add_alarm(rule=rule)

    response = token_client(rule_editor).delete(f"/api/alarm-rules/{rule.id}")

    assert response.status_code == 204
    alarm.refresh_from_db()
    assert (alarm.status, alarm.rule_id, alarm.rule_name) == ("cleared", None, "Hot press")
    assert alarm.cleared_at is not None
    assert AlarmNotification.objects.get().event == "cleared"
    shown = token_client(rule_editor).get(f"/api/alarms/{alarm.id}").json()
    assert (shown["rule_id"], shown["rule"], shown["status"]) == (None, "Hot press", "cleared")


def test_moving_a_rule_to_another_device_clears_the_alarms_of_the_others(rule_editor):
    rule = add_rule()
    elsewhere = add_alarm(rule=rule, device_id="press-1")
    kept = add_alarm(rule=rule, device_id="press-2")

    token_client(rule_editor).patch(
        f"/api/alarm-rules/{rule.id}", {"device_id": "press-2"}, format="json"
    )

    assert Alarm.objects.get(id=elsewhere.id).status == "cleared"
    assert Alarm.objects.get(id=kept.id).status == "active"


def test_a_changed_rule_restarts_its_pending_runs_and_keeps_its_alarms(rule_editor):
    rule = add_rule()
    alarm = add_alarm(rule=rule)
    AlarmRuleState.objects.create(rule=rule, device_id="press-2", breach_since=T0)

    token_client(rule_editor).patch(f"/api/alarm-rules/{rule.id}", {"threshold": 85}, format="json")

    assert not AlarmRuleState.objects.exists()
    assert Alarm.objects.get(id=alarm.id).status == "active"
    assert not AlarmNotification.objects.exists()


def test_cleared_alarms_and_other_rules_alarms_are_left_alone(rule_editor):
    rule, other = add_rule(), add_rule(name="Other")
    old = add_alarm(rule=rule, status="cleared")
    others = add_alarm(rule=other)

    token_client(rule_editor).patch(
        f"/api/alarm-rules/{rule.id}", {"enabled": False}, format="json"
    )

    assert Alarm.objects.get(id=old.id).cleared_at == old.cleared_at
    assert Alarm.objects.get(id=others.id).status == "active"
    assert not AlarmNotification.objects.exists()
