"""The Mosquitto dynamic security plugin's commands and file, built as plain data.

Pure: no paho, no Django settings, no database. ``devices.broker_admin``
sends what this module builds; ``manage.py mqtt_security_init`` writes the
file it builds.

Mosquitto 2.0's dynamic security ACLs match topics literally (no ``%u`` or
``%c`` substitution: that came with 2.1), so each device gets a role of its
own naming its own topics, and the ingest one role with ``+`` filters.
Commands and formats: plugins/dynamic-security/README.md in eclipse/mosquitto.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from devices.identity import ack_topic_filter, device_topic

#: Where the plugin takes commands, and where it answers.
CONTROL_TOPIC = "$CONTROL/dynamic-security/v1"
RESPONSE_TOPIC = f"{CONTROL_TOPIC}/response"

ADMIN_ROLE = "autoforge-admin"
INGEST_ROLE = "autoforge-ingest"
DEVICE_ROLE_PREFIX = "autoforge-device-"

#: Mosquitto's own choice for the passwords it hashes (src/password_mosq.h).
PBKDF2_ITERATIONS = 101
SALT_BYTES = 12

#: Answers that leave the broker as a provisioning or revocation wants it.
_ALREADY_SO = {
    ("createRole", "Role already exists"),
    ("deleteClient", "Client not found"),
    ("deleteRole", "Role not found"),
}

Command = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Topics:
    """The topic filters in use (``SENSOR_TOPIC``, ``CONTROL_TOPIC``), each with
    one ``+`` level for the device id."""

    sensor: str = "sensors/+/data"
    control: str = "control/+/command"
    alarms: str = "alarms/+"

    @property
    def ack(self) -> str:
        return ack_topic_filter(self.control)


def acl(acltype: str, topic: str) -> dict[str, Any]:
    """One rule that allows ``acltype`` on ``topic``."""
    return {"acltype": acltype, "topic": topic, "allow": True}


def device_role_name(device_id: str) -> str:
    return f"{DEVICE_ROLE_PREFIX}{device_id}"


def device_acls(device_id: str, topics: Topics) -> list[dict[str, Any]]:
    """A device publishes its readings and answers, and subscribes to its commands only.

    Device ids hold no ``+``, ``#`` or ``/`` (``devices.identity``), so each
    topic names exactly one device's topic.
    """
    return [
        acl("publishClientSend", device_topic(topics.sensor, device_id)),
        acl("publishClientSend", device_topic(topics.ack, device_id)),
        acl("subscribeLiteral", device_topic(topics.control, device_id)),
    ]


def ingest_acls(topics: Topics) -> list[dict[str, Any]]:
    """The ingest reads every device's readings and answers, shared or not,
    and publishes commands. Mosquitto checks a shared subscription with its
    ``$share/<group>/`` prefix, hence the second pattern of each. It also
    publishes the alarm events (a refused publish would cost it its connection)."""
    rules = []
    for topic_filter in (topics.sensor, topics.ack):
        rules.append(acl("subscribePattern", topic_filter))
        rules.append(acl("subscribePattern", f"$share/+/{topic_filter}"))
    rules.append(acl("publishClientSend", topics.control))
    rules.append(acl("publishClientSend", topics.alarms))
    return rules


def admin_acls() -> list[dict[str, Any]]:
    """The backend's admin account: the plugin's control topics, nothing else."""
    return [
        acl("publishClientSend", CONTROL_TOPIC),
        acl("subscribeLiteral", RESPONSE_TOPIC),
        acl("publishClientReceive", RESPONSE_TOPIC),
    ]


def provision_commands(device_id: str, password: str, topics: Topics) -> list[Command]:
    """Create or rotate: the device's role, then its account anew with ``password``.

    Deleting the account first makes creating and rotating one path, and
    disconnects a client still logged in with the old password.
    """
    role = device_role_name(device_id)
    return [
        {"command": "createRole", "rolename": role, "acls": device_acls(device_id, topics)},
        {"command": "deleteClient", "username": device_id},
        {
            "command": "createClient",
            "username": device_id,
            "password": password,
            "textname": f"AutoForge device {device_id}",
            "roles": [{"rolename": role}],
        },
    ]


def revoke_commands(device_id: str) -> list[Command]:
    """Delete the device's account (the broker disconnects it) and its role."""
    return [
        {"command": "deleteClient", "username": device_id},
        {"command": "deleteRole", "rolename": device_role_name(device_id)},
    ]


def response_errors(commands: Sequence[Command], responses: Sequence[dict]) -> list[str]:
    """What went wrong, one line a command; empty when every command did its job.

    The plugin answers each command in order with ``{"command", "error"?}``;
    an error that leaves things as wanted (deleting what is not there) is none.
    """
    if len(responses) != len(commands):
        return [f"expected {len(commands)} answers, got {len(responses)}"]
    errors = []
    for command, response in zip(commands, responses, strict=True):
        name = command["command"]
        error = response.get("error")
        if response.get("command") != name:
            errors.append(f"{name}: answered as {response.get('command')!r}")
        elif error and (name, error) not in _ALREADY_SO:
            errors.append(f"{name}: {error}")
    return errors


def password_fields(
    password: str, *, salt: bytes | None = None, iterations: int = PBKDF2_ITERATIONS
) -> dict[str, Any]:
    """A password as the plugin keeps it: PBKDF2-HMAC-SHA512, salt and hash in base64."""
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return {
        "password": base64.b64encode(digest).decode(),
        "salt": base64.b64encode(salt).decode(),
        "iterations": iterations,
    }


def _client(username: str, password: str, role: str, textname: str, hasher: Callable) -> dict:
    return {
        "username": username,
        "textname": textname,
        **hasher(password),
        "roles": [{"rolename": role}],
    }


def security_file(
    *,
    admin_username: str,
    admin_password: str,
    ingest_username: str,
    ingest_password: str,
    topics: Topics,
    hasher: Callable[[str], dict[str, Any]] = password_fields,
) -> dict[str, Any]:
    """The plugin's file for a new broker: the admin and ingest accounts, their
    roles, and everything else denied (no device yet, no anonymous access)."""
    return {
        "defaultACLAccess": {
            "publishClientSend": False,
            "publishClientReceive": True,
            "subscribe": False,
            "unsubscribe": True,
        },
        "clients": [
            _client(admin_username, admin_password, ADMIN_ROLE, "AutoForge backend admin", hasher),
            _client(ingest_username, ingest_password, INGEST_ROLE, "AutoForge ingest", hasher),
        ],
        "groups": [],
        "roles": [
            {"rolename": ADMIN_ROLE, "acls": admin_acls()},
            {"rolename": INGEST_ROLE, "acls": ingest_acls(topics)},
        ],
    }
