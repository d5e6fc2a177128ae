"""Telemetry readings, rejected messages and the ingest workers' status."""

from __future__ import annotations

from django.db import models


class SensorReading(models.Model):
    """One reading from one device, stored once per (device_id, timestamp)."""

    device_id = models.CharField(max_length=64)
    temperature = models.FloatField()
    vibration = models.FloatField()
    gas = models.FloatField()
    power = models.FloatField()
    timestamp = models.DateTimeField(help_text="The device's time of the reading (UTC).")
    created_at = models.DateTimeField(
        auto_now_add=True, help_text="When the server stored the reading."
    )

    class Meta:
        constraints = [
            # Also the index for one device's latest reading and history: an
            # index scan on (device_id, timestamp), backwards, needs no sort.
            models.UniqueConstraint(
                fields=["device_id", "timestamp"], name="sensor_reading_device_timestamp_uniq"
            ),
        ]
        indexes = [
            # The latest / history across all devices, newest first.
            models.Index(fields=["timestamp", "id"], name="sensor_reading_timestamp_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.device_id} @ {self.timestamp.isoformat()}"


class ReadingRollup(models.Model):
    """Count, sum, minimum and maximum of each metric of one device (or, with
    device id ``"*"``, of the whole fleet) over one period.

    ``period`` is the bucket's length in seconds (60, 3600 or 86400) and
    ``bucket`` its start in Unix seconds, a whole multiple of ``period``
    (UTC). A row exists only for a period with readings. The ingest keeps
    the rows exact in the transaction that stores the readings
    (``sensors.rollups``); ``manage.py rebuild_rollups`` recomputes them.
    """

    period = models.PositiveIntegerField()
    device_id = models.CharField(max_length=64)
    bucket = models.BigIntegerField(help_text="Start of the period, Unix seconds (UTC).")
    count = models.BigIntegerField()
    temperature_sum = models.FloatField()
    temperature_min = models.FloatField()
    temperature_max = models.FloatField()
    vibration_sum = models.FloatField()
    vibration_min = models.FloatField()
    vibration_max = models.FloatField()
    gas_sum = models.FloatField()
    gas_min = models.FloatField()
    gas_max = models.FloatField()
    power_sum = models.FloatField()
    power_min = models.FloatField()
    power_max = models.FloatField()

    class Meta:
        constraints = [
            # Also the index of every read: one device's (or the fleet's) rows over a range.
            models.UniqueConstraint(
                fields=["period", "device_id", "bucket"], name="reading_rollup_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device_id} {self.period} s @ {self.bucket}"


class DeadLetter(models.Model):
    """A rejected MQTT message, kept for inspection; the table is bounded."""

    PAYLOAD_MAX_CHARS = 2048

    topic = models.CharField(max_length=512)
    payload = models.TextField(blank=True, help_text="Truncated; undecodable bytes escaped.")
    payload_size = models.PositiveIntegerField(help_text="Size of the original payload in bytes.")
    reason = models.CharField(max_length=255)
    received_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "dead letter"

    def __str__(self) -> str:
        return f"{self.topic}: {self.reason}"


class IngestWorker(models.Model):
    """Heartbeat of one ``mqtt_ingest`` process, so the web process can report it."""

    client_id = models.CharField(max_length=128, unique=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    connected = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    last_heartbeat = models.DateTimeField(db_index=True)
    received = models.BigIntegerField(default=0)
    stored = models.BigIntegerField(default=0)
    duplicates = models.BigIntegerField(default=0)
    rejected = models.BigIntegerField(default=0)
    pending = models.PositiveIntegerField(
        default=0, help_text="Messages received and not yet acknowledged."
    )
    failing_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Since when its writes have failed (null while they succeed).",
    )
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = "ingest worker"

    def __str__(self) -> str:
        return self.client_id
