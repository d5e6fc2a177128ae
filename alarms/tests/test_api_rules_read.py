"""Rules are read by anyone who may read the API."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from alarms.tests.factories import add_rule, token_client

pytestmark = pytest.mark.django_db


def test_the_list_holds_every_rule_oldest_first():
    first = add_rule(name="Hot")
    second = add_rule(name="Gas", metric="gas", device_id="press-2", enabled=False)

    response = APIClient().get("/api/alarm-rules")

    assert response.status_code == 200
    assert [rule["id"] for rule in response.json()] == [first.id, second.id]
    assert response.json()[1] == {
        "id": second.id,
        "name": "Gas",
        "metric": "gas",
        "operator": ">",
        "threshold": 80.0,
        "clear_threshold": None,
        "for_seconds": 0,
        "severity": "critical",
        "device_id": "press-2",
        "enabled": False,
    }


def test_one_rule_is_read_by_its_id():
    rule = add_rule()

    response = APIClient().get(f"/api/alarm-rules/{rule.id}")

    assert response.status_code == 200
    assert response.json()["name"] == "Hot press"


def test_an_unknown_rule_is_a_404():
    response = APIClient().get("/api/alarm-rules/999")

    assert response.status_code == 404
    assert response.json() == {"message": "Alarm rule 999 not found", "id": 999}


@pytest.mark.parametrize("rule_id", [str(2**63), str(2**70), "1" * 5000])
def test_an_id_past_64_bits_is_a_404(rule_id):
    response = APIClient().get(f"/api/alarm-rules/{rule_id}")

    assert response.status_code == 404
    assert response.json() == {"message": "Alarm rule not found"}


def test_reads_need_credentials_when_the_setting_asks(settings, nobody):
    settings.API_READS_REQUIRE_AUTH = True
    rule = add_rule()

    assert APIClient().get("/api/alarm-rules").status_code == 401
    assert APIClient().get(f"/api/alarm-rules/{rule.id}").status_code == 401
    assert token_client(nobody).get("/api/alarm-rules").status_code == 200
