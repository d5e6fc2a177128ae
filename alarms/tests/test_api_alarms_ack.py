"""POST /api/alarms/<id>/ack: needs alarms.acknowledge_alarm; the first acknowledgement stays."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from alarms.models import Alarm
from alarms.tests.factories import add_alarm, add_rule, token_client, user_with

pytestmark = pytest.mark.django_db


def test_it_acknowledges_the_alarm_and_answers_it(acknowledger):
    alarm = add_alarm(rule=add_rule())

    response = token_client(acknowledger).post(f"/api/alarms/{alarm.id}/ack")

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["acknowledged"], body["acknowledged_by"]) == (alarm.id, True, "acker")
    assert body["acknowledged_at"].endswith("Z")
    alarm.refresh_from_db()
    assert (alarm.acknowledged, alarm.acknowledged_by) == (True, acknowledger)
    assert alarm.status == "active"  # acknowledged is not cleared


def test_acknowledging_twice_keeps_the_first(acknowledger):
    alarm = add_alarm(rule=add_rule())
    token_client(acknowledger).post(f"/api/alarms/{alarm.id}/ack")
    first_at = Alarm.objects.get().acknowledged_at
    later = user_with("later", "acknowledge_alarm")

    response = token_client(later).post(f"/api/alarms/{alarm.id}/ack")

    assert response.status_code == 200
    assert response.json()["acknowledged_by"] == "acker"
    alarm.refresh_from_db()
    assert (alarm.acknowledged_by, alarm.acknowledged_at) == (acknowledger, first_at)


def test_a_cleared_alarm_can_be_acknowledged(acknowledger):
    alarm = add_alarm(status="cleared")

    response = token_client(acknowledger).post(f"/api/alarms/{alarm.id}/ack")

    assert response.status_code == 200
    assert response.json()["acknowledged"] is True


def test_without_credentials_it_answers_401():
    alarm = add_alarm()

    response = APIClient().post(f"/api/alarms/{alarm.id}/ack")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert not Alarm.objects.get().acknowledged


def test_without_the_permission_it_answers_403(nobody, rule_editor):
    alarm = add_alarm()

    assert token_client(nobody).post(f"/api/alarms/{alarm.id}/ack").status_code == 403
    assert token_client(rule_editor).post(f"/api/alarms/{alarm.id}/ack").status_code == 403
    assert not Alarm.objects.get().acknowledged


def test_an_unknown_alarm_is_a_404(acknowledger):
    response = token_client(acknowledger).post("/api/alarms/999/ack")

    assert response.status_code == 404
    assert response.json() == {"message": "Alarm 999 not found", "id": 999}


def test_an_id_past_64_bits_is_a_404(acknowledger):
    response = token_client(acknowledger).post(f"/api/alarms/{'9' * 5000}/ack")

    assert response.status_code == 404


def test_the_unknown_alarm_is_not_told_to_the_anonymous():
    assert APIClient().post("/api/alarms/999/ack").status_code == 401
