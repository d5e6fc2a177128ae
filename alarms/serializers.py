"""Request and response shapes of ``/api/alarm-rules`` and ``/api/alarms``.

Responses are the documents of ``alarms.documents``, so that the API, the
MQTT events and the webhook bodies agree to the letter.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from alarms import services
from alarms.documents import alarm_document, rule_document
from alarms.models import METRICS, Alarm, AlarmRule, Operator, Severity
from autoforge.api_fields import OFFSET_MAX, PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, QueryIntegerField
from devices.identity import DEVICE_ID_RE

DEVICE_ID_PATTERN = r"^[A-Za-z0-9_.\-]{1,64}$"


@extend_schema_field({"type": "string", "pattern": DEVICE_ID_PATTERN, "maxLength": 64})
class DeviceIdField(serializers.CharField):
    """A device id as sent: a string (no number coerced), not trimmed, matching
    ``DEVICE_ID_RE`` in full (a Python ``$`` would let a trailing newline in)."""

    default_error_messages = {"invalid": "A device id is 1-64 characters of A-Z a-z 0-9 _ - ."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(trim_whitespace=False, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str) or not DEVICE_ID_RE.fullmatch(data):
            self.fail("invalid")
        return data


class NumberField(serializers.FloatField):
    """A finite JSON number: no NaN or Infinity (DRF's own check), and neither
    ``true`` nor ``"12"``, which DRF would read as 1.0 and 12.0."""

    default_error_messages = {"invalid": "Must be a finite number."}

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            self.fail("invalid")
        return super().to_internal_value(data)


class AlarmRuleSerializer(serializers.Serializer):
    """An alarm rule: the body of POST and PATCH, and the rule answered."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=100)
    metric = serializers.ChoiceField(choices=METRICS)
    operator = serializers.ChoiceField(choices=Operator.values)
    threshold = NumberField()
    clear_threshold = NumberField(
        required=False,
        allow_null=True,
        default=None,
        help_text=(
            "The alarm clears at the first reading that does not satisfy `metric operator "
            "clear_threshold`; null: the threshold. For > and >= it may not exceed the "
            "threshold, for < and <= not be below it."
        ),
    )
    for_seconds = serializers.IntegerField(
        min_value=0,
        max_value=services.FOR_SECONDS_MAX,
        default=0,
        help_text="Seconds of reading time the condition must hold unbroken (at most 30 days).",
    )
    severity = serializers.ChoiceField(choices=Severity.values)
    device_id = DeviceIdField(
        max_length=64, allow_null=True, default=None, help_text="null: every device."
    )
    enabled = serializers.BooleanField(default=True)

    def validate(self, attrs: dict) -> dict:
        # A PATCH is checked as the rule it leaves behind.
        def merged(name: str) -> Any:
            return attrs[name] if name in attrs else getattr(self.instance, name)

        problem = services.clear_threshold_problem(
            operator=merged("operator"),
            threshold=merged("threshold"),
            clear=merged("clear_threshold"),
        )
        if problem:
            raise serializers.ValidationError({"clear_threshold": problem})
        return attrs

    def create(self, validated_data: dict) -> AlarmRule:
        return services.rule_create(**validated_data)

    def update(self, instance: AlarmRule, validated_data: dict) -> AlarmRule:
        return services.rule_update(rule=instance, **validated_data)

    def to_representation(self, instance: AlarmRule) -> dict:
        return rule_document(instance)


class AlarmSerializer(serializers.Serializer):
    """An alarm, as ``alarms.documents.alarm_document`` makes it (read only)."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Alarm.Kind.values)
    rule_id = serializers.IntegerField(allow_null=True, help_text="null: offline, or rule deleted.")
    rule = serializers.CharField(allow_null=True, help_text="The rule's name when raised.")
    device_id = serializers.CharField()
    metric = serializers.ChoiceField(choices=METRICS, allow_null=True)
    severity = serializers.ChoiceField(choices=Severity.values)
    status = serializers.ChoiceField(choices=Alarm.Status.values)
    value = serializers.FloatField(allow_null=True, help_text="The worst value seen while active.")
    threshold = serializers.FloatField(allow_null=True)
    started_at = serializers.DateTimeField()
    cleared_at = serializers.DateTimeField(allow_null=True)
    acknowledged = serializers.BooleanField()
    acknowledged_by = serializers.CharField(allow_null=True, help_text="The user's name.")
    acknowledged_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance: Alarm) -> dict:
        return alarm_document(instance)


class AlarmListQuerySerializer(serializers.Serializer):
    """The query string of GET /api/alarms: filters, paginated like /api/control."""

    status = serializers.ChoiceField(choices=Alarm.Status.values, default=None, allow_null=True)
    device_id = DeviceIdField(max_length=64, default=None, allow_null=True)
    severity = serializers.ChoiceField(choices=Severity.values, default=None, allow_null=True)
    acknowledged = serializers.ChoiceField(choices=["true", "false"], default=None, allow_null=True)
    limit = QueryIntegerField(min_value=1, max_value=PAGE_LIMIT_MAX, default=PAGE_LIMIT_DEFAULT)
    offset = QueryIntegerField(min_value=0, max_value=OFFSET_MAX, default=0)

    def validate_acknowledged(self, value: str | None) -> bool | None:
        return None if value is None else value == "true"
