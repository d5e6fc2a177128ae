"""OpenAPI descriptions of ``/api/health``, ``/api/sensors/*`` and ``/api/devices``.

The views carry one decorator each from here (``@openapi.latest``, ...), so
they stay readable. The serializers below describe response bodies only; the
views build their bodies directly (faster, ``sensors.serializers``). The query
parameters come from the views' own query serializers, and the error answers
every operation shares from ``autoforge.openapi``.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from sensors.serializers import (
    AggregateQuerySerializer,
    DeviceQuerySerializer,
    ExportQuerySerializer,
    HistoryQuerySerializer,
    IngestWorkerSerializer,
    MLDataQuerySerializer,
    ReadingFilterSerializer,
    StreamQuerySerializer,
)
from sensors.validation import METRICS

DEVICE_ID_PATTERN = r"^[A-Za-z0-9_.\-]{1,64}$"
# Named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]: three bodies have a "status".
HEALTH_STATUSES = ("healthy", "degraded", "unhealthy")
DATABASE_STATUSES = ("ok", "error")


class TimeZoneFieldExtension(OpenApiSerializerFieldExtension):
    """``tz`` of ``/api/sensors/aggregate``: an IANA time zone name."""

    target_class = "sensors.serializers.TimeZoneField"

    def map_serializer_field(self, auto_schema, direction):
        return {
            "type": "string",
            "default": "UTC",
            "description": "IANA time zone name; 1d buckets start at midnight there.",
            "example": "Europe/Berlin",
        }


class ReadingSerializer(serializers.Serializer):
    """One stored reading."""

    id = serializers.IntegerField()
    device_id = serializers.CharField()
    temperature = serializers.FloatField()
    vibration = serializers.FloatField()
    gas = serializers.FloatField()
    power = serializers.FloatField()
    timestamp = serializers.DateTimeField(help_text="When the device measured it (UTC).")
    created_at = serializers.DateTimeField(help_text="When it was stored (UTC).")


def _echoed_device_id() -> serializers.CharField:
    return serializers.CharField(allow_null=True, help_text="The filter given; null without one.")


class LatestResponseSerializer(serializers.Serializer):
    data = ReadingSerializer()


class NoReadingSerializer(serializers.Serializer):
    message = serializers.CharField()
    device_id = _echoed_device_id()


class HistoryResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Readings in this page (len(data)).")
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()
    device_id = _echoed_device_id()
    data = ReadingSerializer(many=True, help_text="Newest first.")


def _metric_fields(prefixes: tuple[str, ...]) -> dict:
    return {
        f"{prefix}_{metric}": serializers.FloatField(allow_null=True)
        for prefix in prefixes
        for metric in METRICS
    }


StatsSerializer = type(
    "StatsSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "Count, and average, minimum and maximum of each metric (null when count is 0).",
        "count": serializers.IntegerField(),
        **_metric_fields(("avg", "min", "max")),
    },
)

BucketSerializer = type(
    "BucketSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "The readings of one interval: count, and avg/min/max of each metric.",
        "bucket": serializers.DateTimeField(help_text="Start of the bucket (UTC)."),
        "count": serializers.IntegerField(),
        **_metric_fields(("avg", "min", "max")),
    },
)


class StatsResponseSerializer(serializers.Serializer):
    stats = StatsSerializer()
    device_id = _echoed_device_id()


class AggregateResponseSerializer(serializers.Serializer):
    device_id = _echoed_device_id()
    interval = serializers.CharField()
    tz = serializers.CharField()
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    data = BucketSerializer(many=True, help_text="Oldest first; empty buckets left out.")


class MLColumnsSerializer(serializers.Serializer):
    """Equal-length arrays, oldest first."""

    timestamps = serializers.ListField(child=serializers.DateTimeField())
    temperatures = serializers.ListField(child=serializers.FloatField())
    vibrations = serializers.ListField(child=serializers.FloatField())
    gases = serializers.ListField(child=serializers.FloatField())
    powers = serializers.ListField(child=serializers.FloatField())
    device_ids = serializers.ListField(child=serializers.CharField())


class MLDataResponseSerializer(serializers.Serializer):
    sample_count = serializers.IntegerField()
    device_id = _echoed_device_id()
    data = MLColumnsSerializer()


class DeviceSerializer(serializers.Serializer):
    """A device the ingest has stored readings of."""

    device_id = serializers.CharField()
    first_seen = serializers.DateTimeField(allow_null=True)
    last_seen = serializers.DateTimeField(allow_null=True)
    online = serializers.BooleanField(help_text="last_seen within DEVICE_OFFLINE_AFTER_SECONDS.")
    reading_count = serializers.IntegerField()
    latest = ReadingSerializer(allow_null=True)


class DeviceListResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Devices in this page (len(data)).")
    total = serializers.IntegerField(help_text="Devices matching the filter.")
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()
    data = DeviceSerializer(many=True, help_text="Ordered by device_id.")


class DeviceResponseSerializer(serializers.Serializer):
    data = DeviceSerializer()


class DeviceNotFoundSerializer(serializers.Serializer):
    message = serializers.CharField()
    device_id = serializers.CharField()


class DatabaseStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=DATABASE_STATUSES)
    vendor = serializers.CharField()
    error = serializers.CharField(required=False, help_text="Only when status is error.")


class IngestStatusSerializer(serializers.Serializer):
    workers = IngestWorkerSerializer(many=True)


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=HEALTH_STATUSES)
    service = serializers.CharField()
    version = serializers.CharField()
    timestamp = serializers.DateTimeField()
    database = DatabaseStatusSerializer()
    ingest = IngestStatusSerializer()
    reason = serializers.CharField(required=False, help_text="Why it is degraded.")


_READINGS_NOTE = " `since` (inclusive) and `until` (exclusive) bound the readings' `timestamp`."

health = extend_schema(
    summary="Health of the API, its database and the ingest workers",
    description=(
        "Public, never throttled. `degraded` (200, with `reason`) while an ingest worker is "
        "disconnected or has failed to store messages for 3 heartbeats."
    ),
    responses={
        200: HealthSerializer,
        503: OpenApiResponse(HealthSerializer, description="The database is unreachable."),
    },
)

latest = extend_schema(
    summary="The most recent reading",
    description="Of one device, or of any." + _READINGS_NOTE,
    parameters=[ReadingFilterSerializer],
    responses={
        200: LatestResponseSerializer,
        404: OpenApiResponse(NoReadingSerializer, description="No reading matches."),
    },
)

history = extend_schema(
    summary="Readings, newest first, a page at a time",
    description=_READINGS_NOTE.strip(),
    parameters=[HistoryQuerySerializer],
    responses={200: HistoryResponseSerializer},
)

stats = extend_schema(
    summary="Count, average, minimum and maximum of each metric",
    description=_READINGS_NOTE.strip(),
    parameters=[ReadingFilterSerializer],
    responses={200: StatsResponseSerializer},
)

aggregate = extend_schema(
    summary="The readings in time buckets",
    description=(
        "Buckets start at whole multiples of the interval since 1970-01-01T00:00Z (`1d`: at "
        "midnight in `tz`). The range defaults to the 24 h before now. More than 10000 "
        "buckets in the range: 400 naming `interval`."
    ),
    parameters=[AggregateQuerySerializer],
    responses={200: AggregateResponseSerializer},
)

ml_data = extend_schema(
    summary="The most recent readings as columns, for machine learning",
    description=(
        "The last `limit` readings, oldest first: JSON arrays, a CSV file, or an NPZ file "
        "that `numpy.load` opens (`format`)." + _READINGS_NOTE
    ),
    parameters=[MLDataQuerySerializer],
    responses={
        (200, "application/json"): MLDataResponseSerializer,
        (200, "text/csv"): OpenApiResponse(
            OpenApiTypes.STR,
            description="format=csv: timestamp,device_id,temperature,vibration,gas,power.",
        ),
        (200, "application/octet-stream"): OpenApiResponse(
            OpenApiTypes.BINARY, description="format=npz: the same arrays."
        ),
    },
)

export = extend_schema(
    summary="Every matching reading, oldest first, streamed",
    description=(
        "CSV (header `id,device_id,temperature,vibration,gas,power,timestamp,created_at`) or "
        "NDJSON, one reading a line; memory does not grow with the row count." + _READINGS_NOTE
    ),
    parameters=[ExportQuerySerializer],
    responses={
        (200, "text/csv"): OpenApiResponse(
            OpenApiTypes.STR, description="format=csv (default) or format=ndjson."
        ),
        (200, "application/x-ndjson"): OpenApiResponse(
            OpenApiTypes.STR, description="format=ndjson: one reading (JSON) a line."
        ),
    },
)

stream = extend_schema(
    summary="Readings as Server-Sent Events, as they are stored",
    description=(
        "`text/event-stream`: each reading stored after the request as `id: <reading id>`, "
        "`event: reading`, `data: <reading JSON>`. With the `Last-Event-ID` header (what "
        "EventSource sends when it reconnects) it first sends every reading stored after "
        "that one, without gaps or repeats. A comment line at least every 15 s. "
        "The response never ends; a client closes it."
    ),
    parameters=[
        StreamQuerySerializer,
        OpenApiParameter(
            "Last-Event-ID",
            OpenApiTypes.INT,
            OpenApiParameter.HEADER,
            description="Resume after this reading id.",
        ),
    ],
    responses={
        (200, "text/event-stream"): OpenApiResponse(
            OpenApiTypes.STR, description="An endless stream of events."
        ),
    },
)

device_list = extend_schema(
    operation_id="devices_list",
    summary="Every device, ordered by device_id",
    description="`online`: only the devices online (true) or offline (false).",
    parameters=[
        DeviceQuerySerializer,
        OpenApiParameter("online", OpenApiTypes.STR, enum=["true", "false"]),
    ],
    responses={200: DeviceListResponseSerializer},
)

device_retrieve = extend_schema(
    operation_id="devices_retrieve",
    summary="One device, with its latest reading",
    description="`online`: a reading stored within DEVICE_OFFLINE_AFTER_SECONDS.",
    parameters=[
        OpenApiParameter(
            "device_id", OpenApiTypes.STR, OpenApiParameter.PATH, pattern=DEVICE_ID_PATTERN
        )
    ],
    responses={
        200: DeviceResponseSerializer,
        404: OpenApiResponse(DeviceNotFoundSerializer, description="No such device."),
    },
)
