"""Alarm rules, the alarms they raise, and the outbox that announces them.

An alarm is *active* until it clears; ``active_key`` is set only while it is
active and is unique, so that one rule (or the offline check) can hold at most
one active alarm per device on every database: MariaDB has no partial unique
index, but every engine lets a unique column hold many NULLs.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

METRICS = ("temperature", "vibration", "gas", "power")


class Severity(models.TextChoices):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    WARNING = "warning"


class Operator(models.TextChoices):
    GT = ">", "greater than"
    GE = ">=", "greater than or equal to"
    LT = "<", "less than"
    LE = "<=", "less than or equal to"


class AlarmRule(models.Model):
    """``metric operator threshold`` held for ``for_seconds`` of reading time
    raises an alarm; it clears at the first later reading that does not
    satisfy ``metric operator clear_threshold`` (default: the threshold)."""

    name = models.CharField(max_length=100)
    metric = models.CharField(max_length=16, choices=[(m, m) for m in METRICS])
    operator = models.CharField(max_length=2, choices=Operator.choices)
    threshold = models.FloatField()
    clear_threshold = models.FloatField(null=True, blank=True)
    for_seconds = models.PositiveIntegerField(default=0)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    # NULL, not "": the contract's null, "every device".
    device_id = models.CharField(  # noqa: DJ001
        max_length=64, null=True, blank=True, help_text="Empty: every device."
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Alarm(models.Model):
    class Kind(models.TextChoices):
        THRESHOLD = "threshold"
        OFFLINE = "offline"

    class Status(models.TextChoices):
        ACTIVE = "active"
        CLEARED = "cleared"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    rule = models.ForeignKey(
        AlarmRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="alarms"
    )
    #: The rule's name when the alarm was raised (it outlives a rule deleted since).
    rule_name = models.CharField(max_length=100, blank=True, default="")
    device_id = models.CharField(max_length=64, db_index=True)
    metric = models.CharField(max_length=16, null=True, blank=True)  # noqa: DJ001 (offline: null)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    value = models.FloatField(null=True, blank=True, help_text="The worst value seen while active.")
    threshold = models.FloatField(null=True, blank=True)
    started_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)
    acknowledged = models.BooleanField(default=False)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # NULL once cleared: a unique column holds many NULLs on every engine.
    active_key = models.CharField(
        max_length=100, null=True, blank=True, unique=True, editable=False
    )

    class Meta:
        ordering = ["-id"]
        permissions = [("acknowledge_alarm", "Can acknowledge alarms")]
        indexes = [models.Index(fields=["status", "severity"], name="alarm_status_severity_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.rule_name or ''} on {self.device_id} ({self.status})".replace(
            "  ", " "
        )

    @staticmethod
    def rule_key(rule_id: int, device_id: str) -> str:
        return f"rule:{rule_id}:{device_id}"

    @staticmethod
    def offline_key(device_id: str) -> str:
        return f"offline:{device_id}"


class AlarmRuleState(models.Model):
    """A rule's pending run on one device: the first reading time of an unbroken
    run of readings that satisfy the rule, kept until the run breaks or raises.
    Stored in the readings' transaction, so a restart of the ingest neither
    loses nor double-counts a pending duration."""

    rule = models.ForeignKey(AlarmRule, on_delete=models.CASCADE, related_name="+")
    device_id = models.CharField(max_length=64)
    breach_since = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "device_id"], name="alarm_rule_state_unique")
        ]

    def __str__(self) -> str:
        return f"rule {self.rule_id} on {self.device_id} since {self.breach_since}"


class AlarmNotification(models.Model):
    """One raise or clear to announce: on MQTT (``alarms/<device_id>``) and,
    when ``ALARM_WEBHOOK_URL`` was set when it was made, to the webhook.
    Written in the transaction that changed the alarm (an outbox): nothing is
    announced that did not happen, and nothing that happened is lost."""

    class Event(models.TextChoices):
        RAISED = "raised"
        CLEARED = "cleared"

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(max_length=16, choices=Event.choices)
    device_id = models.CharField(max_length=64)
    #: The JSON body, exactly as published and signed.
    body = models.TextField()
    created_at = models.DateTimeField()
    mqtt_published_at = models.DateTimeField(null=True, blank=True)
    mqtt_claimed_until = models.DateTimeField(null=True, blank=True)
    webhook_due = models.BooleanField(default=False)
    webhook_delivered_at = models.DateTimeField(null=True, blank=True)
    webhook_failed_at = models.DateTimeField(
        null=True, blank=True, help_text="Given up after ALARM_WEBHOOK_GIVE_UP_SECONDS."
    )
    webhook_attempts = models.PositiveIntegerField(default=0)
    webhook_next_attempt_at = models.DateTimeField(null=True, blank=True)
    webhook_claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["mqtt_published_at", "id"], name="alarm_notif_mqtt_idx"),
            models.Index(
                fields=["webhook_due", "webhook_delivered_at", "webhook_failed_at"],
                name="alarm_notif_webhook_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.alarm_id} ({self.device_id})"


class WebhookAttempt(models.Model):
    """One POST of a notification to the webhook, and what came of it."""

    notification = models.ForeignKey(
        AlarmNotification, on_delete=models.CASCADE, related_name="attempts"
    )
    attempted_at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.attempted_at}: {self.status_code or self.error}"
