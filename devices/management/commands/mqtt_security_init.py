"""``manage.py mqtt_security_init <file>``: the broker's security file, before its first start.

Writes the dynamic security plugin's JSON file (``plugin_opt_config_file``
in ``deploy/mosquitto.conf``) with the backend's two broker accounts and
nothing else: the admin (``MQTT_ADMIN_USERNAME``/``MQTT_ADMIN_PASSWORD``),
which may only manage accounts, and the ingest (``MQTT_USERNAME``/
``MQTT_PASSWORD``), which may only read readings and answers and send
commands. Devices are added later, at run time (``device_credentials``).
Passwords are written as salted hashes, never in clear.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devices.dynsec import Topics, security_file


class Command(BaseCommand):
    help = (
        "Write the Mosquitto dynamic security file with the backend's admin and ingest "
        "accounts (from the settings). Run it with the broker stopped."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="e.g. /var/lib/mosquitto/dynamic-security.json")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace an existing file: every device account in it is lost",
        )

    def handle(self, *args, file: Path, force: bool, **options) -> None:
        missing = [
            name
            for name in (
                "MQTT_ADMIN_USERNAME",
                "MQTT_ADMIN_PASSWORD",
                "MQTT_USERNAME",
                "MQTT_PASSWORD",
            )
            if not getattr(settings, name)
        ]
        if missing:
            raise CommandError(f"{', '.join(missing)} must be set (docs/security.md)")
        if settings.MQTT_ADMIN_USERNAME == settings.MQTT_USERNAME:
            raise CommandError("MQTT_ADMIN_USERNAME and MQTT_USERNAME must differ")
        if file.exists() and not force:
            raise CommandError(f"{file} exists: --force replaces it, losing every device account")
        document = security_file(
            admin_username=settings.MQTT_ADMIN_USERNAME,
            admin_password=settings.MQTT_ADMIN_PASSWORD,
            ingest_username=settings.MQTT_USERNAME,
            ingest_password=settings.MQTT_PASSWORD,
            topics=Topics(sensor=settings.SENSOR_TOPIC, control=settings.CONTROL_TOPIC),
        )
        write_private(file, json.dumps(document, indent=2) + "\n")
        self.stdout.write(
            f"Wrote {file} (mode 0600) with the accounts {settings.MQTT_ADMIN_USERNAME!r} "
            f"(admin) and {settings.MQTT_USERNAME!r} (ingest). Make it the broker's "
            "(chown mosquitto:mosquitto), then start or restart Mosquitto."
        )


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only, replacing it whole."""
    partial = path.with_name(f".{path.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as stream:
        stream.write(text)
    os.replace(partial, path)
