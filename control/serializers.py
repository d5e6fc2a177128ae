"""Request and response shapes of /api/control."""

from __future__ import annotations

import json
import re

from rest_framework import serializers

from autoforge.api_fields import (
    OFFSET_MAX,
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    QueryIntegerField,
    UTCDateTimeField,
)
from autoforge.lone_surrogates import first_lone_surrogate
from autoforge.storable_json import storable_json_problem
from control.models import Command
from devices.identity import DEVICE_ID_RE

COMMAND_RE = re.compile(r"[a-z0-9_]{1,64}")
MAX_PARAMETERS_BYTES = 4 * 1024


class StrictCharField(serializers.CharField):
    """A string as sent: no number coerced to text, no whitespace trimmed."""

    default_error_messages = {"invalid": "Must be a string."}

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class UnicodeJSONField(serializers.JSONField):
    """Any JSON value that every supported database stores (``storable_json``),
    whose strings, keys included, are valid Unicode.

    JSON can spell a lone surrogate (``"\\ud800"``), which decodes to text that
    cannot be encoded as UTF-8: not for the database, the MQTT payload or the
    response. DRF's string fields refuse it; its JSONField lets it through.
    """

    default_error_messages = {
        # DRF's own message, as its string fields give it.
        "surrogate_characters_not_allowed": (
            "Surrogate characters are not allowed: U+{code_point:X}."
        ),
        # NUL characters, or nesting that a database or the JSON encoder refuses.
        "not_storable": "The value {problem}.",
    }

    def to_internal_value(self, data):
        # Checked before DRF's own validation, which encodes the value with
        # the recursive json module: the checks here walk it without recursion.
        surrogate = first_lone_surrogate(data)
        if surrogate is not None:
            self.fail("surrogate_characters_not_allowed", code_point=ord(surrogate))
        problem = storable_json_problem(data)
        if problem:
            self.fail("not_storable", problem=problem)
        return super().to_internal_value(data)


def _device_id_field(**kwargs) -> StrictCharField:
    return StrictCharField(
        max_length=64,
        validators=[_fullmatch(DEVICE_ID_RE, "Must be 1-64 characters of A-Z a-z 0-9 _ - .")],
        **kwargs,
    )


def _fullmatch(pattern: re.Pattern, message: str):
    def validate(value: str) -> None:
        if not pattern.fullmatch(value):
            raise serializers.ValidationError(message)

    return validate


class CommandCreateSerializer(serializers.Serializer):
    """The body of POST /api/control."""

    device_id = _device_id_field()
    command = StrictCharField(
        max_length=64,
        validators=[_fullmatch(COMMAND_RE, "Must be 1-64 characters of a-z 0-9 _.")],
    )
    parameters = UnicodeJSONField(required=False, allow_null=True)

    def validate_parameters(self, value):
        if value is None:
            return {}  # null means "no parameters", as leaving the key out does
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
        if size > MAX_PARAMETERS_BYTES:
            raise serializers.ValidationError(
                f"Must be at most {MAX_PARAMETERS_BYTES} bytes as JSON (got {size})."
            )
        return value


class CommandListQuerySerializer(serializers.Serializer):
    """The query string of GET /api/control: paginated like /api/sensors/history."""

    device_id = _device_id_field(required=False)
    limit = QueryIntegerField(min_value=1, max_value=PAGE_LIMIT_MAX, default=PAGE_LIMIT_DEFAULT)
    offset = QueryIntegerField(min_value=0, max_value=OFFSET_MAX, default=0)


class CommandSerializer(serializers.ModelSerializer):
    """A stored command, as the API shows it."""

    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    created_at = UTCDateTimeField(read_only=True)
    sent_at = UTCDateTimeField(read_only=True, allow_null=True)
    acknowledged_at = UTCDateTimeField(read_only=True, allow_null=True)
    expires_at = UTCDateTimeField(read_only=True)

    class Meta:
        model = Command
        fields = (
            "id",
            "status",
            "device_id",
            "command",
            "parameters",
            "created_by",
            "created_at",
            "sent_at",
            "acknowledged_at",
            "expires_at",
            "detail",
        )
        read_only_fields = fields
