"""manage.py device_credentials <device_id> [--revoke] (CONTRACT §1 v2), the broker faked."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from devices.models import Device

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("device_credentials", *args, stdout=out)
    return out.getvalue()


def test_it_prints_the_username_and_the_password_once(broker):
    output = run("press-1")

    password = broker.sent[0][-1]["password"]
    assert "username: press-1" in output
    assert f"password: {password}" in output
    assert output.count(password) == 1
    assert Device.objects.filter(device_id="press-1").exists()


def test_it_revokes(broker):
    run("press-1")

    output = run("press-1", "--revoke")

    assert "Revoked" in output
    assert [c["command"] for c in broker.sent[-1]] == ["deleteClient", "deleteRole"]


def test_a_bad_device_id_is_one_clear_line(broker):
    with pytest.raises(CommandError, match="device id must be"):
        run("bad/id")
    assert broker.sent == []


def test_a_broker_failure_is_one_clear_line(broker):
    object.__setattr__(broker, "failure", "no answer from the broker")
    with pytest.raises(CommandError, match="press-1: no answer from the broker"):
        run("press-1")
