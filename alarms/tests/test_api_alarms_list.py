"""GET /api/alarms: filters, pagination, newest first; bad parameters are a 400 naming them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from alarms.services import alarm_acknowledge
from alarms.tests.factories import add_alarm, add_rule, user_with

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    return [alarm["id"] for alarm in response.json()["data"]]


@pytest.fixture
def alarms() -> dict:
    rule = add_rule(severity="critical")
    return {
        "hot": add_alarm(rule=rule, device_id="press-1", minutes=3),
        "old": add_alarm(rule=rule, device_id="press-2", minutes=1, status="cleared"),
        "offline": add_alarm(device_id="press-3", minutes=2, acknowledged=True),
        "minor": add_alarm(rule=rule, device_id="press-2", minutes=4, severity="minor"),
    }


def test_it_lists_every_alarm_newest_first(alarms):
    response = APIClient().get("/api/alarms")

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["limit"], body["offset"]) == (4, 100, 0)
    assert ids(response) == [a.id for a in (alarms["minor"], alarms["hot"], alarms["offline"])] + [
        alarms["old"].id
    ]


def test_an_alarm_is_its_document(alarms):
    hot = APIClient().get("/api/alarms").json()["data"][1]

    assert hot == {
        "id": alarms["hot"].id,
        "kind": "threshold",
        "rule_id": alarms["hot"].rule_id,
        "rule": "Hot press",
        "device_id": "press-1",
        "metric": "temperature",
        "severity": "critical",
        "status": "active",
        "value": 85.0,
        "threshold": 80.0,
        "started_at": "2026-01-29T14:03:00.000000Z",
        "cleared_at": None,
        "acknowledged": False,
        "acknowledged_by": None,
        "acknowledged_at": None,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=active", ["minor", "offline", "hot"]),
        ("status=cleared", ["old"]),
        ("device_id=press-2", ["minor", "old"]),
        ("severity=critical", ["hot", "old"]),
        ("acknowledged=true", ["offline"]),
        ("acknowledged=false", ["minor", "hot", "old"]),
        ("status=active&device_id=press-2&severity=minor&acknowledged=false", ["minor"]),
        ("device_id=press-9", []),
        ("status=&device_id=&severity=&acknowledged=", ["minor", "hot", "offline", "old"]),
    ],
)
def test_the_filters_narrow_the_list(alarms, query, expected):
    response = APIClient().get(f"/api/alarms?{query}")

    assert response.status_code == 200
    by_started = sorted(expected, key=lambda name: alarms[name].started_at, reverse=True)
    assert ids(response) == [alarms[name].id for name in by_started]


def test_limit_and_offset_page_through_the_list(alarms):
    first = APIClient().get("/api/alarms?limit=2")
    second = APIClient().get("/api/alarms?limit=2&offset=2")
    beyond = APIClient().get("/api/alarms?limit=2&offset=10")

    assert (first.json()["count"], first.json()["limit"]) == (2, 2)
    assert ids(first) + ids(second) == ids(APIClient().get("/api/alarms"))
    assert second.json()["offset"] == 2
    assert beyond.json() == {"count": 0, "limit": 2, "offset": 10, "data": []}


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("status=open", "status"),
        ("severity=fatal", "severity"),
        ("acknowledged=yes", "acknowledged"),
        ("acknowledged=1", "acknowledged"),
        ("device_id=press%201", "device_id"),
        ("device_id=press-1%0A", "device_id"),
        ("limit=0", "limit"),
        ("limit=10001", "limit"),
        ("limit=ten", "limit"),
        ("limit=%EF%BC%91", "limit"),  # a fullwidth digit one
        ("offset=-1", "offset"),
        (f"offset={2**63}", "offset"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(query, parameter):
    response = APIClient().get(f"/api/alarms?{query}")

    assert response.status_code == 400
    assert response.json()["message"].startswith(f"Invalid '{parameter}':")
    assert list(response.json()["errors"]) == [parameter]


def test_the_list_reads_the_acknowledging_users_in_the_same_query():
    user = user_with("acker", "acknowledge_alarm")
    rule = add_rule()
    for device_id in ("press-1", "press-2", "press-3"):
        alarm_acknowledge(alarm=add_alarm(rule=rule, device_id=device_id), user=user)

    with CaptureQueriesContext(connection) as queries:
        response = APIClient().get("/api/alarms")

    assert {alarm["acknowledged_by"] for alarm in response.json()["data"]} == {"acker"}
    assert len(queries) == 1


def test_reads_need_credentials_when_the_setting_asks(settings, alarms):
    settings.API_READS_REQUIRE_AUTH = True

    assert APIClient().get("/api/alarms").status_code == 401
    assert APIClient().get(f"/api/alarms/{alarms['hot'].id}").status_code == 401


def test_one_alarm_is_read_by_its_id(alarms):
    response = APIClient().get(f"/api/alarms/{alarms['offline'].id}")

    assert response.status_code == 200
    body = response.json()
    assert (body["kind"], body["rule_id"], body["rule"], body["metric"]) == (
        "offline",
        None,
        None,
        None,
    )
    assert (body["severity"], body["acknowledged"]) == ("major", True)


@pytest.mark.parametrize(
    ("alarm_id", "message"),
    [
        ("999", "Alarm 999 not found"),
        (str(2**64), "Alarm not found"),
        ("9" * 5000, "Alarm not found"),
    ],
)
def test_an_unknown_alarm_is_a_404(alarm_id, message):
    response = APIClient().get(f"/api/alarms/{alarm_id}")

    assert response.status_code == 404
    assert response.json()["message"] == message
