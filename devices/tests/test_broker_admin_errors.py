"""The broker admin client fails with one clear error, never a hang or a password."""

from __future__ import annotations

import pytest

from conftest import free_port
from devices.broker_admin import BrokerAdmin, BrokerAdminError
from devices.dynsec import revoke_commands


def test_a_broker_that_is_not_there():
    admin = BrokerAdmin(host="127.0.0.1", port=free_port(), username="admin", password="pw")
    with pytest.raises(BrokerAdminError, match="cannot reach the broker at "):
        admin.run(revoke_commands("press-1"))


def test_a_broker_without_the_plugin_times_out(mosquitto):
    admin = BrokerAdmin(
        host=mosquitto.host, port=mosquitto.port, username="admin", password="pw", timeout=1
    )
    with pytest.raises(BrokerAdminError, match="no answer from the broker's dynamic security"):
        admin.run(revoke_commands("press-1"))


def test_a_refused_command_is_reported(secure_mosquitto):
    admin = BrokerAdmin(
        host=secure_mosquitto.host,
        port=secure_mosquitto.port,
        username=secure_mosquitto.ADMIN[0],
        password=secure_mosquitto.ADMIN[1],
    )
    command = {
        "command": "createClient",
        "username": "x",
        "password": "y",
        "roles": [{"rolename": "no-such-role"}],
    }
    with pytest.raises(BrokerAdminError, match="createClient: Role not found"):
        admin.run([command])


def test_its_repr_shows_no_password():
    admin = BrokerAdmin(host="h", port=1, username="admin", password="very-secret")
    assert "very-secret" not in repr(admin)
