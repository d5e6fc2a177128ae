"""POST /api/control with a lone surrogate anywhere is a 400 naming the field, not a 500.

JSON can spell a lone surrogate as an escape (``"\\ud800"``); it decodes to
text that is no Unicode and that no database, MQTT payload or response can
carry. The bodies are written out as raw JSON text, as a client sends them.
"""

from __future__ import annotations

import pytest

from control.models import Command
from control.tests.test_api_send_command import token_client

pytestmark = pytest.mark.django_db


def reboot_body(members: str) -> str:
    """A body rebooting dev-1, with more ``members`` written as raw JSON text."""
    return '{"device_id":"dev-1","command":"reboot",' + members + "}"


def post(user, body: str):
    return token_client(user).post("/api/control", body, content_type="application/json")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (reboot_body('"parameters":{"x":"\\ud800"}'), "parameters"),
        (reboot_body('"parameters":{"\\udfff":1}'), "parameters"),
        (reboot_body('"parameters":{"a":[{"b":"x\\udc00"}]}'), "parameters"),
        (reboot_body('"parameters":{"a":{"\\ud83d":null}}'), "parameters"),
        ('{"device_id":"dev\\ud800","command":"reboot"}', "device_id"),
        ('{"device_id":"\\udfff","command":"reboot"}', "device_id"),
        ('{"device_id":"dev-1","command":"reboot\\ud800"}', "command"),
    ],
)
def test_a_lone_surrogate_is_a_400_naming_the_field(operator, body, field):
    response = post(operator, body)

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert response.json()["message"].startswith(f"Invalid '{field}': ")
    assert not Command.objects.exists()


def test_the_message_names_the_code_point(operator):
    response = post(operator, reboot_body('"parameters":{"x":"\\ud800"}'))

    assert response.json() == {
        "message": "Invalid 'parameters': Surrogate characters are not allowed: U+D800.",
        "errors": {"parameters": ["Surrogate characters are not allowed: U+D800."]},
    }


def test_a_lone_surrogate_in_an_unknown_key_is_ignored_like_the_key(operator):
    response = post(operator, reboot_body('"\\ud800":"\\udfff"'))

    assert response.status_code == 202


def test_a_surrogate_pair_is_one_character_and_is_accepted(operator):
    response = post(operator, reboot_body('"parameters":{"\\ud83d\\ude00":"\\ud83d\\ude00"}'))

    assert response.status_code == 202
    assert response.json()["parameters"] == {"\U0001f600": "\U0001f600"}
    assert Command.objects.get().parameters == {"\U0001f600": "\U0001f600"}
