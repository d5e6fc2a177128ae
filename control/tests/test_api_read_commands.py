"""GET /api/control and /api/control/<id>: commands and their status."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from control.models import Command
from control.services import command_create
from control.tests.test_api_send_command import token_client

pytestmark = pytest.mark.django_db


def make_commands(count: int, device_id: str = "dev-1") -> list[Command]:
    start = timezone.now() - timedelta(minutes=1)
    return [
        command_create(
            device_id=device_id,
            command=f"step_{n}",
            ttl_seconds=300,
            now=start + timedelta(seconds=n),
        )
        for n in range(count)
    ]


def test_it_shows_one_command_with_its_status(viewer):
    command = make_commands(1)[0]
    Command.objects.update(status=Command.Status.ACKNOWLEDGED, detail={"uptime": 3})

    response = token_client(viewer).get(f"/api/control/{command.id}")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == command.id
    assert body["status"] == "acknowledged"
    assert body["detail"] == {"uptime": 3}
    assert body["created_at"].endswith("Z")
    assert body["expires_at"].endswith("Z")


@pytest.mark.parametrize("command_id", ["999", "99999999999999999999999", "9" * 5000])
def test_an_unknown_id_is_404_with_a_message(viewer, command_id):
    response = token_client(viewer).get(f"/api/control/{command_id}")

    assert response.status_code == 404
    assert "not found" in response.json()["message"]


def test_a_non_numeric_id_is_404_with_a_message(viewer):
    response = token_client(viewer).get("/api/control/abc")

    assert response.status_code == 404
    assert response.json()["message"]


def test_the_list_is_newest_first_with_the_paging_echoed(viewer):
    commands = make_commands(3)

    response = token_client(viewer).get("/api/control")

    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body["data"]] == [c.id for c in reversed(commands)]
    assert body["count"] == 3
    assert body["limit"] == 100
    assert body["offset"] == 0
    assert body["device_id"] is None


def test_the_list_filters_by_device(viewer):
    make_commands(2, "dev-1")
    wanted = make_commands(2, "dev-2")

    body = token_client(viewer).get("/api/control?device_id=dev-2").json()

    assert [item["id"] for item in body["data"]] == [c.id for c in reversed(wanted)]
    assert body["device_id"] == "dev-2"


def test_the_list_pages_with_limit_and_offset(viewer):
    commands = make_commands(5)

    body = token_client(viewer).get("/api/control?limit=2&offset=1").json()

    assert [item["id"] for item in body["data"]] == [commands[3].id, commands[2].id]
    assert body["count"] == 2
    assert body["limit"] == 2
    assert body["offset"] == 1


def test_an_operator_may_read_the_commands_too(operator):
    assert token_client(operator).get("/api/control").status_code == 200


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("limit=0", "limit"),
        ("limit=10001", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("offset=x", "offset"),
        ("offset=99999999999999999999999999", "offset"),
        ("device_id=dev/1", "device_id"),
        ("device_id=" + "a" * 65, "device_id"),
    ],
)
def test_a_bad_query_parameter_is_400_naming_it(viewer, query, parameter):
    response = token_client(viewer).get(f"/api/control?{query}")

    assert response.status_code == 400
    assert parameter in response.json()["errors"]
    assert f"'{parameter}'" in response.json()["message"]


@pytest.mark.parametrize("path", ["/api/control", "/api/control/1"])
def test_reading_without_credentials_is_401(path, settings):
    settings.API_READS_REQUIRE_AUTH = False  # commands are never public

    response = APIClient().get(path)

    assert response.status_code == 401


@pytest.mark.parametrize("path", ["/api/control", "/api/control/1"])
def test_reading_without_a_permission_is_403(nobody, path):
    response = token_client(nobody).get(path)

    assert response.status_code == 403
