"""Read API: ``/api/health`` and ``/api/sensors/*`` (CONTRACT §3).

Thin: parameters are validated by serializers, the reads live in
``sensors.selectors`` and ``sensors.aggregates`` (ml-data's columns in
``sensors.ml_columns``), and the files of ``ml-data`` are built here from
those columns.
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from autoforge.gc_pause import gc_paused
from autoforge.renderers import JSONFragment
from autoforge.streaming import served_by_asgi, streaming_body
from autoforge.timefmt import iso_utc, iso_utc_json_array
from sensors import aggregates, openapi, selectors, stream
from sensors.ml_columns import readings_ml_columns
from sensors.reading_formats import EXPORT_CONTENT_TYPES, export_blocks, reading_dicts
from sensors.serializers import (
    AggregateQuerySerializer,
    ExportQuerySerializer,
    HistoryQuerySerializer,
    IngestWorkerSerializer,
    MLDataQuerySerializer,
    ReadingFilterSerializer,
    SensorReadingSerializer,
    StreamQuerySerializer,
    last_event_id,
)

logger = logging.getLogger(__name__)

SERVICE_NAME = "AutoForge IoT Backend"
SERVICE_VERSION = "1.0.0"
# A worker that missed this many heartbeats is reported as stale.
STALE_AFTER_HEARTBEATS = 3
# A worker silent for longer is no longer reported (retired, renamed, moved).
FORGET_WORKER_AFTER = timedelta(hours=1)


def _describe_database_error(error: Exception) -> str:
    """Class and message of a database error, on one line, without the password."""
    message = " ".join(str(error).split())
    password = connection.settings_dict.get("PASSWORD")
    if password:
        message = message.replace(str(password), "***")
    return f"{type(error).__name__}: {message}"[:500]


class HealthView(APIView):
    """Liveness of the API, its database and the ingest workers.

    Public, not throttled, and it authenticates nobody: a monitor must get an
    answer even when the session or token tables are unreachable.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @openapi.health
    def get(self, request: Request) -> Response:
        now = timezone.now()
        body: dict = {
            "status": "healthy",
            "service": SERVICE_NAME,
            "version": SERVICE_VERSION,
            "timestamp": iso_utc(now),
        }
        try:
            body["database"] = selectors.database_status()
            workers = selectors.ingest_workers_list(seen_since=now - FORGET_WORKER_AFTER)
        except DatabaseError as error:
            logger.error("Health check: database unreachable: %s", error)
            body["status"] = "unhealthy"
            body["database"] = {
                "status": "error",
                "vendor": connection.vendor,
                "error": _describe_database_error(error),
            }
            body["ingest"] = {"workers": []}
            return Response(body, status=503, headers={"Retry-After": "5"})
        # Three heartbeats: one missed beat is a hiccup, three are a state.
        patience = timedelta(seconds=STALE_AFTER_HEARTBEATS * settings.INGEST_HEARTBEAT_SECONDS)
        reported = IngestWorkerSerializer(
            workers, many=True, context={"stale_before": now - patience}
        ).data
        body["ingest"] = {"workers": reported}
        reasons = _degraded_reasons(reported, workers, failing_before=now - patience)
        if reasons:
            body["status"] = "degraded"
            body["reason"] = "; ".join(reasons)
        return Response(body)


def _degraded_reasons(reported: list[dict], workers: list, *, failing_before) -> list[str]:
    """Why the ingest is not all well (CONTRACT §3 v2): a listed worker that is
    not connected (or stopped reporting), or that has held messages it could
    not store for three heartbeats."""
    reasons = []
    for shown, worker in zip(reported, workers, strict=True):
        name = worker.client_id
        if shown["stale"]:
            reasons.append(f"ingest worker {name!r} has stopped reporting")
        elif not shown["connected"]:
            reasons.append(f"ingest worker {name!r} is not connected to the broker")
        if worker.failing_since is not None and worker.failing_since <= failing_before:
            reasons.append(
                f"ingest worker {name!r} has not been able to store {worker.pending} "
                f"message(s) since {iso_utc(worker.failing_since)}"
            )
    return reasons


class FormatIsAQueryParameter(DefaultContentNegotiation):
    """``format`` belongs to ml-data (json|csv|npz), not to DRF's renderer override.

    DRF answers 404 to ``?format=<no renderer>``; here an unknown format falls
    back to the default renderer, so ml-data's serializer can answer 400 and
    the other endpoints ignore the parameter, as they ignore any unknown one.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Http404:
            return renderers[0], renderers[0].media_type


class AnyAccept(DefaultContentNegotiation):
    """The live stream answers ``Accept: text/event-stream`` (what EventSource
    sends) with its events; its errors are JSON whatever was accepted."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _query(serializer_class: type[Serializer], request: Request) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class SensorReadingViewSet(GenericViewSet):
    """``/api/sensors/{latest,history,stats,aggregate,ml-data,export,stream}``.

    Each takes device_id, since and until.
    """

    content_negotiation_class = FormatIsAQueryParameter

    @openapi.latest
    @action(detail=False, methods=["get"])
    def latest(self, request: Request) -> Response:
        params = _query(ReadingFilterSerializer, request)
        reading = selectors.readings_latest(**params)
        if reading is None:
            return Response(
                {"message": "No sensor readings found", "device_id": params["device_id"]},
                status=404,
            )
        return Response({"data": SensorReadingSerializer(reading).data})

    @openapi.history
    @action(detail=False, methods=["get"])
    def history(self, request: Request) -> Response:
        params = _query(HistoryQuerySerializer, request)
        # Fetched tuples, not values() dicts: no date-time object per row (issue 9).
        rows = reading_dicts(selectors.readings_history_rows(**params))
        return Response(
            {
                "count": len(rows),
                "limit": params["limit"],
                "offset": params["offset"],
                "device_id": params["device_id"],
                "data": rows,
            }
        )

    @openapi.stats
    @action(detail=False, methods=["get"])
    def stats(self, request: Request) -> Response:
        params = _query(ReadingFilterSerializer, request)
        return Response(
            {"stats": aggregates.readings_stats(**params), "device_id": params["device_id"]}
        )

    @openapi.aggregate
    @action(detail=False, methods=["get"])
    def aggregate(self, request: Request) -> Response:
        params = _query(AggregateQuerySerializer, request)
        try:
            buckets = aggregates.readings_buckets(**params, bucket_text=True)
        except aggregates.TooManyBuckets as error:
            raise ValidationError({"interval": [str(error)]}) from None
        return Response(
            {
                "device_id": params["device_id"],
                "interval": params["interval"],
                "tz": params["tz"].key,
                "since": iso_utc(params["since"]),
                "until": iso_utc(params["until"]),
                "data": buckets,
            }
        )

    @openapi.ml_data
    @action(detail=False, methods=["get"], url_path="ml-data", url_name="ml-data")
    def ml_data(self, request: Request) -> Response | HttpResponse:
        params = _query(MLDataQuerySerializer, request)
        file_format = params.pop("format")
        with gc_paused():  # up to 100,000 rows of objects, no cycles among them
            return self._ml_data_response(params, file_format)

    def _ml_data_response(self, params: dict, file_format: str) -> Response | HttpResponse:
        columns = readings_ml_columns(**params)
        if file_format == "csv":
            return _ml_csv_response(columns)
        if file_format == "npz":
            return _ml_npz_response(columns)
        return Response(
            {
                "sample_count": len(columns["timestamps"]),
                "device_id": params["device_id"],
                "data": {
                    # Written by numpy, and numpy arrays the JSON renderer
                    # (orjson) writes directly: no Python object per value.
                    "timestamps": JSONFragment(iso_utc_json_array(columns["timestamps"])),
                    "temperatures": columns["temperatures"],
                    "vibrations": columns["vibrations"],
                    "gases": columns["gases"],
                    "powers": columns["powers"],
                    "device_ids": _device_ids_list(columns["device_ids"], params["device_id"]),
                },
            }
        )

    @openapi.export
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> StreamingHttpResponse:
        """Every matching reading, oldest first, streamed as CSV or NDJSON (CONTRACT §3 v2).

        The parameters are checked before the first byte, so a bad one is
        still a JSON 400; the rows are read chunk by chunk while the body is
        sent, so memory does not grow with them.
        """
        params = _query(ExportQuerySerializer, request)
        file_format = params.pop("format")
        chunks = selectors.readings_export_chunks(**params)
        response = StreamingHttpResponse(
            streaming_body(request, export_blocks(chunks, file_format=file_format)),
            content_type=EXPORT_CONTENT_TYPES[file_format],
        )
        response["Content-Disposition"] = f'attachment; filename="sensor-readings.{file_format}"'
        # nginx would otherwise buffer the whole export before sending it on.
        response["X-Accel-Buffering"] = "no"
        return response

    @openapi.stream
    @action(detail=False, methods=["get"], content_negotiation_class=AnyAccept)
    def stream(self, request: Request) -> StreamingHttpResponse:
        """Readings as Server-Sent Events as they are stored (CONTRACT §3 v2).

        Checked here like any request (permission, throttle, parameters: a bad
        one is a JSON 400); then the body is served by ``sensors.stream``:
        asynchronously under ASGI, on this thread under WSGI (development).
        """
        params = _query(StreamQuerySerializer, request)
        after_id = last_event_id(request.headers.get("Last-Event-ID"))
        options = {
            "after_id": after_id,
            "device_id": params["device_id"],
            "keepalive_seconds": settings.STREAM_KEEPALIVE_SECONDS,
            "poll_seconds": settings.STREAM_POLL_SECONDS,
        }
        if served_by_asgi(request):
            body = stream.reading_events_async(**options)
        else:
            body = stream.reading_events_sync(**options)
        response = StreamingHttpResponse(body, content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
        return response


def _device_ids_list(device_ids: np.ndarray, device_id: str | None) -> list[str]:
    """The column as a list; for one device, one string repeated (a tenth of the time)."""
    if device_id is not None:
        return [device_id] * len(device_ids)
    return device_ids.tolist()


def _iso_strings(timestamps: np.ndarray) -> list[str]:
    """``datetime64[us]`` (UTC) as the API's ISO strings, in one vectorised pass."""
    return np.datetime_as_string(timestamps, unit="us", timezone="UTC").tolist()


def _attachment(content: bytes | str, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _ml_csv_response(columns: dict[str, np.ndarray]) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["timestamp", "device_id", "temperature", "vibration", "gas", "power"])
    writer.writerows(
        zip(
            _iso_strings(columns["timestamps"]),
            columns["device_ids"].tolist(),
            columns["temperatures"].tolist(),
            columns["vibrations"].tolist(),
            columns["gases"].tolist(),
            columns["powers"].tolist(),
            strict=True,
        )
    )
    return _attachment(
        buffer.getvalue(), content_type="text/csv; charset=utf-8", filename="sensor-readings.csv"
    )


def _ml_npz_response(columns: dict[str, np.ndarray]) -> HttpResponse:
    buffer = io.BytesIO()
    # Uncompressed: compressing 100,000 rows costs more time than it saves.
    np.savez(buffer, **columns)
    return _attachment(
        buffer.getvalue(), content_type="application/octet-stream", filename="sensor-readings.npz"
    )
