"""A bad field of a rule is a 400 whose message names it; nothing is stored."""

from __future__ import annotations

import pytest

from alarms.models import AlarmRule
from alarms.services import FOR_SECONDS_MAX
from alarms.tests.factories import RULE_BODY, add_rule, token_client

pytestmark = pytest.mark.django_db

BAD_FIELDS = [
    ("name", ""),
    ("name", "x" * 101),
    ("name", None),
    ("metric", "humidity"),
    ("operator", "=="),
    ("threshold", "NaN"),
    ("threshold", "Infinity"),
    ("threshold", "80"),
    ("threshold", True),
    ("threshold", None),
    ("clear_threshold", 85.0),  # above the threshold of ">"
    ("clear_threshold", "NaN"),
    ("for_seconds", -1),
    ("for_seconds", FOR_SECONDS_MAX + 1),
    ("for_seconds", "soon"),
    ("severity", "fatal"),
    ("device_id", ""),
    ("device_id", "press 1"),
    ("device_id", "press/1"),
    ("device_id", "press-1\n"),
    ("device_id", "x" * 65),
    ("device_id", 12),
    ("enabled", "perhaps"),
]


@pytest.mark.parametrize(("field", "value"), BAD_FIELDS)
def test_a_bad_field_is_a_400_naming_it(rule_editor, field, value):
    response = token_client(rule_editor).post(
        "/api/alarm-rules", {**RULE_BODY, field: value}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["message"].startswith(f"Invalid '{field}':")
    assert list(body["errors"]) == [field]
    assert not AlarmRule.objects.exists()


def test_a_json_number_too_large_for_a_float_is_a_400_naming_it(rule_editor):
    # 1e400 is a valid JSON number that Python reads as infinity.
    body = (
        '{"name": "x", "metric": "gas", "operator": ">", "threshold": 1e400, "severity": "minor"}'
    )

    response = token_client(rule_editor).post(
        "/api/alarm-rules", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["threshold"]


@pytest.mark.parametrize("field", ["name", "metric", "operator", "threshold", "severity"])
def test_a_missing_required_field_is_a_400_naming_it(rule_editor, field):
    body = {name: value for name, value in RULE_BODY.items() if name != field}

    response = token_client(rule_editor).post("/api/alarm-rules", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]


@pytest.mark.parametrize(
    ("operator", "clear", "ok"),
    [(">", 80, True), (">", 75, True), (">=", 81, False), ("<", 79, False), ("<=", 85, True)],
)
def test_the_clear_threshold_must_lie_on_the_clearing_side(rule_editor, operator, clear, ok):
    body = {**RULE_BODY, "operator": operator, "clear_threshold": clear}

    response = token_client(rule_editor).post("/api/alarm-rules", body, format="json")

    assert response.status_code == (201 if ok else 400)


def test_patch_validates_the_rule_it_leaves_behind(rule_editor):
    rule = add_rule(operator=">", threshold=80, clear_threshold=75)

    response = token_client(rule_editor).patch(
        f"/api/alarm-rules/{rule.id}", {"threshold": 70}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["clear_threshold"]
    rule.refresh_from_db()
    assert rule.threshold == 80


def test_patch_refuses_a_bad_field(rule_editor):
    rule = add_rule()

    response = token_client(rule_editor).patch(
        f"/api/alarm-rules/{rule.id}", {"device_id": "no such/device"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["device_id"]
