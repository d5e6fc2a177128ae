"""``manage.py device_credentials <device_id> [--revoke]`` (CONTRACT §1 v2).

Creates or rotates a device's MQTT credentials and prints the password, once;
or, with ``--revoke``, deletes them. The work is in ``devices.credentials``.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from devices.broker_admin import BrokerAdmin, BrokerAdminError
from devices.credentials import DeviceIdRefused, device_credentials_issue, device_credentials_revoke


class Command(BaseCommand):
    help = (
        "Create or rotate a device's MQTT credentials (the password is printed once), "
        "or revoke them with --revoke."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("device_id")
        parser.add_argument(
            "--revoke",
            action="store_true",
            help="delete the credentials: the device can no longer connect or publish",
        )

    def handle(self, *args, device_id: str, revoke: bool, **options) -> None:
        try:
            broker = BrokerAdmin.from_settings()
            if revoke:
                device_credentials_revoke(device_id=device_id, broker=broker)
            else:
                credentials = device_credentials_issue(device_id=device_id, broker=broker)
        except (DeviceIdRefused, BrokerAdminError) as error:
            raise CommandError(f"{device_id}: {error}") from None
        if revoke:
            self.stdout.write(f"Revoked the MQTT credentials of {device_id}.")
            return
        self.stdout.write(
            f"MQTT credentials of {device_id}; the password is shown only now:\n"
            f"username: {credentials.username}\n"
            f"password: {credentials.password}"
        )
