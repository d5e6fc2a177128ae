"""The dynamic security commands and file, built without a broker."""

from __future__ import annotations

import base64

from devices import dynsec
from devices.dynsec import Topics


def allowed(rules: list[dict]) -> set[tuple[str, str]]:
    assert all(rule["allow"] is True for rule in rules)
    return {(rule["acltype"], rule["topic"]) for rule in rules}


def test_a_device_may_publish_its_readings_and_answers_and_read_its_commands() -> None:
    assert allowed(dynsec.device_acls("press-1", Topics())) == {
        ("publishClientSend", "sensors/press-1/data"),
        ("publishClientSend", "control/press-1/ack"),
        ("subscribeLiteral", "control/press-1/command"),
    }


def test_a_device_follows_the_configured_topics() -> None:
    topics = Topics(sensor="plant/+/telemetry", control="cmd/+")
    assert allowed(dynsec.device_acls("d.1", topics)) == {
        ("publishClientSend", "plant/d.1/telemetry"),
        ("publishClientSend", "cmd/d.1/ack"),
        ("subscribeLiteral", "cmd/d.1"),
    }


def test_the_ingest_reads_every_device_shared_or_not_and_sends_commands() -> None:
    assert allowed(dynsec.ingest_acls(Topics())) == {
        ("subscribePattern", "sensors/+/data"),
        ("subscribePattern", "$share/+/sensors/+/data"),
        ("subscribePattern", "control/+/ack"),
        ("subscribePattern", "$share/+/control/+/ack"),
        ("publishClientSend", "control/+/command"),
        ("publishClientSend", "alarms/+"),
    }


def test_the_admin_may_only_talk_to_the_plugin() -> None:
    assert allowed(dynsec.admin_acls()) == {
        ("publishClientSend", "$CONTROL/dynamic-security/v1"),
        ("subscribeLiteral", "$CONTROL/dynamic-security/v1/response"),
        ("publishClientReceive", "$CONTROL/dynamic-security/v1/response"),
    }


def test_provisioning_makes_the_role_then_the_account_anew() -> None:
    commands = dynsec.provision_commands("press-1", "s3cret", Topics())

    assert [c["command"] for c in commands] == ["createRole", "deleteClient", "createClient"]
    role, delete, create = commands
    assert role["rolename"] == "autoforge-device-press-1"
    assert role["acls"] == dynsec.device_acls("press-1", Topics())
    assert delete == {"command": "deleteClient", "username": "press-1"}
    assert create["username"] == "press-1"
    assert create["password"] == "s3cret"
    assert create["roles"] == [{"rolename": "autoforge-device-press-1"}]


def test_revoking_deletes_the_account_and_its_role() -> None:
    assert dynsec.revoke_commands("press-1") == [
        {"command": "deleteClient", "username": "press-1"},
        {"command": "deleteRole", "rolename": "autoforge-device-press-1"},
    ]


def test_deleting_what_is_not_there_or_making_what_is_is_no_error() -> None:
    commands = [*dynsec.provision_commands("d", "p", Topics()), *dynsec.revoke_commands("d")]
    responses = [
        {"command": "createRole", "error": "Role already exists"},
        {"command": "deleteClient", "error": "Client not found"},
        {"command": "createClient"},
        {"command": "deleteClient"},
        {"command": "deleteRole", "error": "Role not found"},
    ]
    assert dynsec.response_errors(commands, responses) == []


def test_other_errors_and_missing_answers_are_reported() -> None:
    commands = dynsec.provision_commands("d", "p", Topics())
    responses = [
        {"command": "createRole"},
        {"command": "deleteClient"},
        {"command": "createClient", "error": "Client already exists"},
    ]
    assert dynsec.response_errors(commands, responses) == ["createClient: Client already exists"]
    assert dynsec.response_errors(commands, responses[:1]) == ["expected 3 answers, got 1"]


def test_a_password_is_hashed_as_mosquitto_ctrl_does() -> None:
    # From `mosquitto_ctrl dynsec init file admin secretpw` (Mosquitto 2.0.11).
    fields = dynsec.password_fields(
        "secretpw", salt=base64.b64decode("zNGslEPOklXy0BqM"), iterations=101
    )
    assert fields == {
        "password": (
            "13PosZUfn99U/Cco1gy4f8vPqv+CqbIWkiEtbiLYa9OY9FkTNLd3"
            "LckIpPiec4PYuG5hycie7IhprLl9ot85tQ=="
        ),
        "salt": "zNGslEPOklXy0BqM",
        "iterations": 101,
    }


def test_each_password_gets_its_own_salt() -> None:
    assert dynsec.password_fields("same")["salt"] != dynsec.password_fields("same")["salt"]


def test_the_file_holds_the_two_backend_accounts_hashed_and_denies_the_rest() -> None:
    document = dynsec.security_file(
        admin_username="admin",
        admin_password="admin-pw",
        ingest_username="ingest",
        ingest_password="ingest-pw",
        topics=Topics(),
    )

    assert document["defaultACLAccess"] == {
        "publishClientSend": False,
        "publishClientReceive": True,
        "subscribe": False,
        "unsubscribe": True,
    }
    accounts = {client["username"]: client for client in document["clients"]}
    assert accounts["admin"]["roles"] == [{"rolename": "autoforge-admin"}]
    assert accounts["ingest"]["roles"] == [{"rolename": "autoforge-ingest"}]
    assert "admin-pw" not in str(document)
    assert "ingest-pw" not in str(document)
    roles = {role["rolename"]: role["acls"] for role in document["roles"]}
    assert roles == {
        "autoforge-admin": dynsec.admin_acls(),
        "autoforge-ingest": dynsec.ingest_acls(Topics()),
    }
    assert "anonymousGroup" not in document
