"""Rules are created, changed and deleted by users with the model permissions."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from alarms.models import AlarmRule
from alarms.tests.factories import RULE_BODY, add_rule, token_client, user_with

pytestmark = pytest.mark.django_db


def test_it_creates_a_rule_with_the_defaults_and_answers_201(rule_editor):
    response = token_client(rule_editor).post("/api/alarm-rules", RULE_BODY, format="json")

    assert response.status_code == 201
    rule = AlarmRule.objects.get()
    assert response.json() == {
        "id": rule.id,
        **RULE_BODY,
        "clear_threshold": None,
        "for_seconds": 0,
        "device_id": None,
        "enabled": True,
    }


def test_it_stores_every_field_given(rule_editor):
    body = {
        **RULE_BODY,
        "operator": "<=",
        "threshold": 5,
        "clear_threshold": 7.5,
        "for_seconds": 60,
        "device_id": "press-1",
        "enabled": False,
    }

    response = token_client(rule_editor).post("/api/alarm-rules", body, format="json")

    assert response.status_code == 201
    rule = AlarmRule.objects.get()
    assert (rule.operator, rule.threshold, rule.clear_threshold) == ("<=", 5.0, 7.5)
    assert (rule.for_seconds, rule.device_id, rule.enabled) == (60, "press-1", False)
    assert response.json()["clear_threshold"] == 7.5


def test_without_credentials_writes_answer_401():
    rule = add_rule()
    client = APIClient()

    assert client.post("/api/alarm-rules", RULE_BODY, format="json").status_code == 401
    response = client.patch(f"/api/alarm-rules/{rule.id}", {"enabled": False}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert client.delete(f"/api/alarm-rules/{rule.id}").status_code == 401
    assert AlarmRule.objects.get().enabled


def test_without_the_permissions_writes_answer_403(nobody):
    rule = add_rule()
    client = token_client(nobody)

    assert client.post("/api/alarm-rules", RULE_BODY, format="json").status_code == 403
    response = client.patch(f"/api/alarm-rules/{rule.id}", {"enabled": False}, format="json")
    assert response.status_code == 403
    assert response.json()["message"]
    assert client.delete(f"/api/alarm-rules/{rule.id}").status_code == 403
    assert AlarmRule.objects.get().enabled


def test_each_write_needs_its_own_permission():
    rule = add_rule()
    adder = token_client(user_with("adder", "add_alarmrule"))

    assert adder.post("/api/alarm-rules", RULE_BODY, format="json").status_code == 201
    assert adder.patch(f"/api/alarm-rules/{rule.id}", {}, format="json").status_code == 403
    assert adder.delete(f"/api/alarm-rules/{rule.id}").status_code == 403


def test_patch_changes_only_the_fields_given(rule_editor):
    rule = add_rule(for_seconds=30)

    response = token_client(rule_editor).patch(
        f"/api/alarm-rules/{rule.id}", {"threshold": 90, "name": "Hotter"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["threshold"] == 90.0
    rule.refresh_from_db()
    assert (rule.name, rule.threshold, rule.for_seconds, rule.metric) == (
        "Hotter",
        90.0,
        30,
        "temperature",
    )


def test_delete_answers_204_and_removes_the_rule(rule_editor):
    rule = add_rule()

    response = token_client(rule_editor).delete(f"/api/alarm-rules/{rule.id}")

    assert response.status_code == 204
    assert not AlarmRule.objects.exists()


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_writing_an_unknown_rule_answers_404(rule_editor, method):
    response = getattr(token_client(rule_editor), method)("/api/alarm-rules/999", {}, format="json")

    assert response.status_code == 404
    assert response.json() == {"message": "Alarm rule 999 not found", "id": 999}


def test_put_is_not_offered(rule_editor):
    rule = add_rule()

    response = token_client(rule_editor).put(
        f"/api/alarm-rules/{rule.id}", RULE_BODY, format="json"
    )

    assert response.status_code == 405


def test_a_body_that_is_not_json_is_refused(rule_editor):
    response = token_client(rule_editor).post(
        "/api/alarm-rules", "name=x", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 415
    assert not AlarmRule.objects.exists()


def test_absurdly_nested_json_is_a_400(rule_editor):
    body = '{"name": ' + "[" * 100_000 + "]" * 100_000 + "}"

    response = token_client(rule_editor).post(
        "/api/alarm-rules", body, content_type="application/json"
    )

    assert response.status_code == 400
