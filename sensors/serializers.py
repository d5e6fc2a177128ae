"""Serializers of the read API: query parameters in, readings and workers out.

Query parameters are validated by small serializers, so a bad value becomes a
400 that names the parameter (``autoforge.api_errors``), never a 500.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from rest_framework import serializers

from autoforge.timefmt import iso_utc
from sensors.models import IngestWorker
from sensors.validation import DEVICE_ID_RE

HISTORY_LIMIT_MAX = 10_000
HISTORY_LIMIT_DEFAULT = 100
ML_DATA_LIMIT_MAX = 100_000
ML_DATA_LIMIT_DEFAULT = 1000
ML_DATA_FORMATS = ("json", "csv", "npz")
# Past this an OFFSET overflows the databases' 64-bit integers (a 500, not a
# 400), and no table is that long.
HISTORY_OFFSET_MAX = 2**62

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_SECONDS_RE = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
# "2026-01-29T14:30:45 01:00": the "+" of an offset that was not URL-encoded.
_SPACE_FOR_PLUS_RE = re.compile(r"(?<=\d) (?=\d{2}(:?\d{2})?$)")
_ASCII_INTEGER_RE = re.compile(r"[+-]?[0-9]+")


class QueryIntegerField(serializers.IntegerField):
    """An integer query parameter: ASCII digits 0-9, with an optional sign.

    DRF's IntegerField hands the text to ``int()``, which also reads the
    digits of other scripts (fullwidth, Arabic-Indic, ...), ``1_000``, padding
    and ``12.0``: a parameter then means something other than what it looks
    like to a proxy, a log reader or a cache key.
    """

    default_error_messages = {"invalid": "Must be a whole number written with the digits 0-9."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, str) and not _ASCII_INTEGER_RE.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class UTCDateTimeField(serializers.DateTimeField):
    """A date-time rendered as :func:`iso_utc`, whatever the current time zone."""

    def to_representation(self, value: datetime | None) -> str | None:
        return None if value is None else iso_utc(value)


class InstantField(serializers.Field):
    """A moment given as ISO 8601 (no offset means UTC) or Unix epoch seconds."""

    default_error_messages = {
        "invalid": "Enter an ISO 8601 date-time or Unix epoch seconds.",
        "range": "Date-time is out of range.",
    }

    def to_internal_value(self, data: Any) -> datetime:
        if not isinstance(data, str):
            self.fail("invalid")
        text = data.strip()
        if _EPOCH_SECONDS_RE.fullmatch(text):
            return self._from_epoch(text)
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            try:
                moment = datetime.fromisoformat(_SPACE_FOR_PLUS_RE.sub("+", text))
            except ValueError:
                self.fail("invalid")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            self.fail("range")

    def _from_epoch(self, text: str) -> datetime:
        # Decimal, not float: "1769697045.000001" keeps its microsecond.
        try:
            microseconds = int((Decimal(text) * 1_000_000).to_integral_value())
            return _EPOCH + timedelta(microseconds=microseconds)
        except (InvalidOperation, OverflowError):
            self.fail("range")

    def to_representation(self, value: datetime) -> str:
        return iso_utc(value)


class ReadingFilterSerializer(serializers.Serializer):
    """``device_id``, ``since`` (inclusive) and ``until`` (exclusive): every endpoint's filter."""

    device_id = serializers.RegexField(
        rf"^{DEVICE_ID_RE.pattern}\Z",
        default=None,
        trim_whitespace=False,
        error_messages={"invalid": "A device id is 1-64 characters of A-Z a-z 0-9 _ - ."},
    )
    since = InstantField(default=None)
    until = InstantField(default=None)

    def validate(self, attrs: dict) -> dict:
        since, until = attrs.get("since"), attrs.get("until")
        if since is not None and until is not None and since > until:
            raise serializers.ValidationError({"since": "must not be later than 'until'."})
        return attrs


class HistoryQuerySerializer(ReadingFilterSerializer):
    limit = QueryIntegerField(
        min_value=1, max_value=HISTORY_LIMIT_MAX, default=HISTORY_LIMIT_DEFAULT
    )
    offset = QueryIntegerField(min_value=0, max_value=HISTORY_OFFSET_MAX, default=0)


class MLDataQuerySerializer(ReadingFilterSerializer):
    limit = QueryIntegerField(
        min_value=1, max_value=ML_DATA_LIMIT_MAX, default=ML_DATA_LIMIT_DEFAULT
    )
    format = serializers.ChoiceField(choices=ML_DATA_FORMATS, default="json")


class SensorReadingSerializer(serializers.BaseSerializer):
    """A reading, from a ``values()`` row of :data:`sensors.selectors.READING_FIELDS`.

    Read-only, a ``BaseSerializer`` that builds the dict directly, with every
    date-time in one format (UTC, always with microseconds). Measured by
    ``bench/read_api.py`` for a 10,000-row history page, fetch included: this
    and a ``ModelSerializer`` over model instances are within the noise of
    each other (105-132 ms and 110-115 ms over two runs), a ``Serializer``
    with declared fields over the same rows ~170 ms. Fetching and parsing the
    date-times dominates.
    """

    def to_representation(self, row: dict) -> dict:
        return {
            "id": row["id"],
            "device_id": row["device_id"],
            "temperature": row["temperature"],
            "vibration": row["vibration"],
            "gas": row["gas"],
            "power": row["power"],
            "timestamp": iso_utc(row["timestamp"]),
            "created_at": iso_utc(row["created_at"]),
        }


class IngestWorkerSerializer(serializers.ModelSerializer):
    """One ``mqtt_ingest`` process as ``/api/health`` reports it."""

    last_heartbeat = UTCDateTimeField()
    started_at = UTCDateTimeField()
    failing_since = UTCDateTimeField(allow_null=True)
    stale = serializers.SerializerMethodField()
    connected = serializers.SerializerMethodField()

    class Meta:
        model = IngestWorker
        fields = [
            "client_id",
            "hostname",
            "pid",
            "connected",
            "stale",
            "last_heartbeat",
            "started_at",
            "received",
            "stored",
            "duplicates",
            "rejected",
            "pending",
            "failing_since",
            "last_error",
        ]

    def get_stale(self, worker: IngestWorker) -> bool:
        return worker.last_heartbeat < self.context["stale_before"]

    def get_connected(self, worker: IngestWorker) -> bool:
        # A worker that stopped reporting may have died while connected.
        return worker.connected and not self.get_stale(worker)
