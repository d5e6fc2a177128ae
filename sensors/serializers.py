"""Serializers of the read API: query parameters in, readings and workers out.

Query parameters are validated by small serializers, so a bad value becomes a
400 that names the parameter (``autoforge.api_errors``), never a 500.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone
from rest_framework import serializers

from autoforge.api_fields import (
    OFFSET_MAX,
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    InstantField,
    QueryIntegerField,
    UTCDateTimeField,
)
from autoforge.timefmt import iso_utc
from devices.identity import DEVICE_ID_RE
from sensors.aggregates import INTERVALS
from sensors.models import IngestWorker
from sensors.reading_formats import EXPORT_FORMATS

AGGREGATE_DEFAULT_SPAN = timedelta(hours=24)
DEVICES_LIMIT_MAX = 1000
HISTORY_LIMIT_MAX = PAGE_LIMIT_MAX
HISTORY_LIMIT_DEFAULT = PAGE_LIMIT_DEFAULT
ML_DATA_LIMIT_MAX = 100_000
ML_DATA_LIMIT_DEFAULT = 1000
ML_DATA_FORMATS = ("json", "csv", "npz")
# Past this an OFFSET overflows the databases' 64-bit integers (a 500, not a
# 400), and no table is that long.
HISTORY_OFFSET_MAX = OFFSET_MAX


def device_id_query_field() -> serializers.RegexField:
    """The optional ``device_id`` query parameter of the read endpoints."""
    return serializers.RegexField(
        rf"^{DEVICE_ID_RE.pattern}\Z",
        default=None,
        trim_whitespace=False,
        error_messages={"invalid": "A device id is 1-64 characters of A-Z a-z 0-9 _ - ."},
    )


class ReadingFilterSerializer(serializers.Serializer):
    """``device_id``, ``since`` (inclusive) and ``until`` (exclusive): every endpoint's filter."""

    device_id = device_id_query_field()
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


class ExportQuerySerializer(ReadingFilterSerializer):
    """``/api/sensors/export``: the filter and ``format`` (csv, the default, or ndjson)."""

    format = serializers.ChoiceField(choices=EXPORT_FORMATS, default="csv")


class StreamQuerySerializer(serializers.Serializer):
    """``/api/sensors/stream``: ``device_id`` (optional), and the ``Last-Event-ID`` header."""

    device_id = device_id_query_field()


def last_event_id(header: str | None) -> int | None:
    """The ``Last-Event-ID`` header as a reading id; a bad one is a 400 naming it."""
    if header is None or header == "":
        return None
    if not (header.isascii() and header.isdigit()) or len(header) > 19:
        raise serializers.ValidationError(
            {"Last-Event-ID": ["must be the id of a reading (an integer) sent by this stream."]}
        )
    return int(header)


class TimeZoneField(serializers.Field):
    """An IANA time zone name (``Europe/Berlin``), as a ``ZoneInfo``."""

    default_error_messages = {"invalid": "Enter an IANA time zone name, such as Europe/Berlin."}

    def to_internal_value(self, data: Any) -> ZoneInfo:
        if not isinstance(data, str) or not data or len(data) > 64 or "\x00" in data:
            self.fail("invalid")
        try:
            return ZoneInfo(data)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            self.fail("invalid")

    def to_representation(self, value: ZoneInfo) -> str:
        return value.key


class AggregateQuerySerializer(ReadingFilterSerializer):
    """``/api/sensors/aggregate``: the range defaults to the 24 hours before now
    (or before ``until``, or after ``since``)."""

    interval = serializers.ChoiceField(choices=list(INTERVALS))
    tz = TimeZoneField(default=ZoneInfo("UTC"))

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        since, until = attrs.get("since"), attrs.get("until")
        if until is None:
            until = since + AGGREGATE_DEFAULT_SPAN if since is not None else timezone.now()
        if since is None:
            since = until - AGGREGATE_DEFAULT_SPAN
        attrs["since"], attrs["until"] = since, until
        return attrs


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
        return reading_representation(row)


def reading_representation(row: dict) -> dict:
    """A reading's JSON object, from a dict of READING_FIELDS."""
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


class DeviceQuerySerializer(serializers.Serializer):
    """``/api/devices``: ``online`` (true/false), ``limit`` 1-1000 (100), ``offset``."""

    online = serializers.ChoiceField(choices=["true", "false"], default=None, allow_null=True)
    limit = QueryIntegerField(min_value=1, max_value=DEVICES_LIMIT_MAX, default=100)
    offset = QueryIntegerField(min_value=0, max_value=OFFSET_MAX, default=0)

    def validate_online(self, value: str | None) -> bool | None:
        return None if value is None else value == "true"


def device_representation(device: dict, *, offline_before: datetime) -> dict:
    """A device's JSON object (CONTRACT §3 v2), from a row of
    ``sensors.device_selectors``; online when last seen at or after ``offline_before``."""
    latest = device["latest"]
    first_seen, last_seen = device["first_seen"], device["last_seen"]
    return {
        "device_id": device["device_id"],
        "first_seen": None if first_seen is None else iso_utc(first_seen),
        "last_seen": None if last_seen is None else iso_utc(last_seen),
        "online": last_seen is not None and last_seen >= offline_before,
        "reading_count": device["reading_count"],
        "latest": None if latest is None else reading_representation(latest),
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
