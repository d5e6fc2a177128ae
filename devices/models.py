"""The device registry: every device the ingest has stored a reading of, or
that was given broker credentials."""

from __future__ import annotations

from django.db import models


class Device(models.Model):
    """One device, kept current by the ingest in the transaction that stores
    its readings (``devices.services.devices_record``).

    ``first_seen`` / ``last_seen`` are server times (when the ingest stored a
    reading of it); ``latest_timestamp`` is the device's own time of its
    newest reading, the key of that reading. ``reading_count`` counts each
    stored reading once (duplicates never), including readings pruned since
    (they stay in the rollups). A device given credentials before its first
    reading is here with no times and a count of 0.
    """

    device_id = models.CharField(max_length=64, unique=True)
    first_seen = models.DateTimeField(null=True, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True, db_index=True)
    reading_count = models.BigIntegerField(default=0)
    latest_timestamp = models.DateTimeField(
        null=True, blank=True, help_text="The device's time of its newest reading (UTC)."
    )
    credentials_issued_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When its MQTT credentials were last issued; empty: never, or revoked.",
    )

    class Meta:
        ordering = ["device_id"]
        permissions = [
            ("manage_credentials", "Can create, rotate and revoke device MQTT credentials"),
        ]

    def __str__(self) -> str:
        return self.device_id
