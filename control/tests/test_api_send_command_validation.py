"""A malformed POST /api/control is a 400 that names the field at fault."""

from __future__ import annotations

import pytest

from control.models import Command
from control.tests.test_api_send_command import token_client

pytestmark = pytest.mark.django_db

VALID = {"device_id": "dev-1", "command": "reboot"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"command": "reboot"}, "device_id"),
        ({**VALID, "device_id": ""}, "device_id"),
        ({**VALID, "device_id": "a" * 65}, "device_id"),
        ({**VALID, "device_id": "dev/1"}, "device_id"),
        ({**VALID, "device_id": "dev+1"}, "device_id"),
        ({**VALID, "device_id": " dev-1"}, "device_id"),
        ({**VALID, "device_id": 17}, "device_id"),
        ({**VALID, "device_id": None}, "device_id"),
        ({"device_id": "dev-1"}, "command"),
        ({**VALID, "command": ""}, "command"),
        ({**VALID, "command": "Reboot"}, "command"),
        ({**VALID, "command": "re-boot"}, "command"),
        ({**VALID, "command": "x" * 65}, "command"),
        ({**VALID, "command": ["reboot"]}, "command"),
        ({**VALID, "parameters": [1, 2]}, "parameters"),
        ({**VALID, "parameters": "hz=10"}, "parameters"),
        ({**VALID, "parameters": 5}, "parameters"),
        ({**VALID, "parameters": {"blob": "x" * 4096}}, "parameters"),
    ],
)
def test_it_rejects_a_bad_field(operator, body, field):
    response = token_client(operator).post("/api/control", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert f"'{field}'" in response.json()["message"]
    assert not Command.objects.exists()


def test_parameters_of_exactly_4_kib_are_accepted(operator):
    # {"blob":"..."} is 11 bytes of JSON around the string.
    parameters = {"blob": "x" * (4096 - 11)}

    response = token_client(operator).post(
        "/api/control", {**VALID, "parameters": parameters}, format="json"
    )

    assert response.status_code == 202


def test_multibyte_parameters_are_measured_in_bytes(operator):
    parameters = {"blob": "é" * 2100}  # 2100 characters, 4200 bytes

    response = token_client(operator).post(
        "/api/control", {**VALID, "parameters": parameters}, format="json"
    )

    assert response.status_code == 400
    assert "parameters" in response.json()["errors"]


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b'{"device_id": "dev-1", "command": "reboot", "parameters": {"x": NaN}}',
        b"[" * 50_000,
    ],
)
def test_it_rejects_a_body_that_is_not_json(operator, raw):
    response = token_client(operator).post("/api/control", raw, content_type="application/json")

    assert response.status_code == 400
    assert "JSON parse error" in response.json()["message"]


def test_it_rejects_a_body_that_is_not_an_object(operator):
    response = token_client(operator).post("/api/control", [VALID], format="json")

    assert response.status_code == 400
    assert response.json()["message"].startswith("Invalid request body: ")


def test_it_rejects_a_form_encoded_body(operator):
    response = token_client(operator).post("/api/control", VALID)

    assert response.status_code == 415
