"""Device commands (see control/services.py for their life cycle)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Command(models.Model):
    """One command for one device, from the API to the device and back.

    ``pending`` (stored, not yet accepted by the broker) -> ``sent`` (the
    broker acknowledged the publish) -> ``acknowledged`` / ``failed`` (the
    device answered ``ok`` / ``error``), or ``expired`` when no answer came
    within ``COMMAND_TTL_SECONDS``.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        ACKNOWLEDGED = "acknowledged"
        FAILED = "failed"
        EXPIRED = "expired"

    #: Statuses a command can still leave (the rest are final).
    OPEN_STATUSES = (Status.PENDING, Status.SENT)

    device_id = models.CharField(max_length=64)
    command = models.CharField(max_length=64)
    parameters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="commands",
    )
    created_at = models.DateTimeField(
        default=timezone.now, help_text="When the command was issued (UTC)."
    )
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the broker accepted the publish."
    )
    acknowledged_at = models.DateTimeField(
        null=True, blank=True, help_text="When the device's answer arrived."
    )
    expires_at = models.DateTimeField(help_text="Without an answer by then, the command expires.")
    detail = models.JSONField(
        null=True, blank=True, help_text="The 'detail' of the device's answer, as sent."
    )
    # Outbox bookkeeping: a worker that is publishing the command holds it
    # until then, so that two workers do not publish it at the same time; a
    # worker that dies before the broker's PUBACK lets it go when this passes.
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    publish_count = models.PositiveIntegerField(
        default=0, editable=False, help_text="How many times the outbox has published it."
    )

    class Meta:
        indexes = [
            # The outbox poll: pending commands to publish, open ones to expire.
            models.Index(fields=["status", "expires_at"], name="command_status_expires_idx"),
            # One device's commands, and every device's, newest first (read
            # backwards: ascending indexes work the same on every database).
            models.Index(
                fields=["device_id", "created_at", "id"], name="command_device_created_idx"
            ),
            models.Index(fields=["created_at", "id"], name="command_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.command} -> {self.device_id} ({self.status})"
