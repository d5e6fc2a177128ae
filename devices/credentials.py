"""Device MQTT credentials: create or rotate, and revoke (CONTRACT §2 "Device identity").

The broker is the only keeper of a password (the dynamic security plugin
stores a salted PBKDF2 hash of it): the backend makes one, hands it to the
broker and to its caller once, and keeps nothing of it. The registry only
records when a device's credentials were last issued.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.utils import timezone

from devices import dynsec
from devices.broker_admin import BrokerAdmin
from devices.identity import DEVICE_ID_RE, DEVICE_ID_RULE
from devices.models import Device

#: 32 random bytes, URL-safe: easy to paste into a device's configuration.
PASSWORD_BYTES = 32


class DeviceIdRefused(ValueError):
    """Not a device id that may get broker credentials."""


@dataclass(frozen=True, slots=True)
class DeviceCredentials:
    device_id: str
    username: str
    password: str

    def __repr__(self) -> str:  # never the password, in a log or a traceback
        return f"DeviceCredentials(device_id={self.device_id!r}, username={self.username!r})"


def new_password() -> str:
    return secrets.token_urlsafe(PASSWORD_BYTES)


def device_id_refusal(device_id: str, *, broker: BrokerAdmin) -> str:
    """Why ``device_id`` may not have broker credentials, or ``""``."""
    if not DEVICE_ID_RE.fullmatch(device_id):
        return DEVICE_ID_RULE
    if device_id in broker.reserved_usernames:
        return "device id is the name of one of the backend's own broker accounts"
    return ""


def _checked(device_id: str, broker: BrokerAdmin) -> None:
    refusal = device_id_refusal(device_id, broker=broker)
    if refusal:
        raise DeviceIdRefused(refusal)


def device_credentials_issue(*, device_id: str, broker: BrokerAdmin) -> DeviceCredentials:
    """Give the device a new password (username = device id), replacing any
    old one and disconnecting a client logged in with it; the device joins
    the registry if it is not there yet.

    DeviceIdRefused for a bad id, BrokerAdminError when the broker did not do it.
    """
    _checked(device_id, broker)
    password = new_password()
    broker.run(dynsec.provision_commands(device_id, password, broker.topics))
    device, _ = Device.objects.get_or_create(device_id=device_id)
    device.credentials_issued_at = timezone.now()
    device.save(update_fields=["credentials_issued_at"])
    return DeviceCredentials(device_id=device_id, username=device_id, password=password)


def device_credentials_revoke(*, device_id: str, broker: BrokerAdmin) -> None:
    """Delete the device's broker account: it can no longer connect, and a
    connected client of it is cut off. Revoking a device without credentials
    is no error. DeviceIdRefused / BrokerAdminError as for issuing."""
    _checked(device_id, broker)
    broker.run(dynsec.revoke_commands(device_id))
    Device.objects.filter(device_id=device_id).update(credentials_issued_at=None)
