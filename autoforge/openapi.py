"""OpenAPI (drf-spectacular): the API-wide parts of ``/api/schema``.

The error shapes of ``autoforge.api_errors``, added to every operation that
can answer them, so the views' ``@extend_schema`` only name what is their
own (success bodies, their 404); the optional authentication of the public
reads; and the schema of the shared query fields of ``autoforge.api_fields``.
Each app's ``openapi.py`` holds its endpoints' descriptions.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from autoforge.permissions import ReadsRequireAuthSetting


class ErrorSerializer(serializers.Serializer):
    """Every error but a validation error: one human sentence."""

    message = serializers.CharField()


class ValidationErrorSerializer(serializers.Serializer):
    """A bad query parameter or body field (400): the sentence names it, and
    ``errors`` lists the messages by parameter or field. A body that is not
    JSON at all has no ``errors``."""

    message = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="Messages by parameter or field name.",
    )


_ERROR_DESCRIPTIONS = {
    400: "A query parameter or body field is invalid; the message names it.",
    401: "No credentials, or invalid ones (reads: only with API_READS_REQUIRE_AUTH=true).",
    403: "Authenticated, but without the permission this needs.",
    415: "The body is not application/json.",
    429: "Too many requests (API_THROTTLE_ANON / API_THROTTLE_USER); see Retry-After.",
    503: "The database is unavailable; retry after Retry-After seconds.",
}


def error_response(status: int) -> OpenApiResponse:
    """One of the API's error answers (``autoforge.api_errors``), described."""
    serializer = ValidationErrorSerializer if status == 400 else ErrorSerializer
    return OpenApiResponse(serializer, description=_ERROR_DESCRIPTIONS[status])


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's, knowing this API's error answers and its public reads."""

    def get_auth(self) -> list[dict]:
        auths = super().get_auth()
        permission_classes = [type(permission) for permission in self.view.get_permissions()]
        # Reads are public unless API_READS_REQUIRE_AUTH: credentials optional.
        if ReadsRequireAuthSetting in permission_classes and {} not in auths:
            auths.append({})
        return auths

    def get_operation(self, *args, **kwargs) -> dict | None:
        operation = super().get_operation(*args, **kwargs)
        for parameter in (operation or {}).get("parameters", []):
            if parameter["in"] == "query" and not parameter.get("required"):
                # DRF's serializers take an empty optional query parameter
                # (?device_id=) as not given: its default, not a 400.
                parameter["allowEmptyValue"] = True
        return operation

    def _get_response_bodies(self, direction="response") -> dict:
        # Here, not in get_response_serializers(), which @extend_schema replaces.
        responses = super()._get_response_bodies(direction)
        for status in self._error_statuses():
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(
                    error_response(status), str(status), direction=direction
                )
        return responses

    def _is_list_view(self, serializer=None) -> bool:
        # Every list here answers an object (count, limit, offset, data), never
        # a bare array: only a serializer with many=True is an array.
        return isinstance(serializer, serializers.ListSerializer)

    def _error_statuses(self) -> list[int]:
        statuses = []
        has_body = self.method in ("POST", "PUT", "PATCH")
        query_parameters = [
            parameter
            for parameter in self.get_override_parameters()
            if not (isinstance(parameter, OpenApiParameter) and parameter.location == "path")
        ]
        if has_body or query_parameters:
            statuses.append(400)
        permission_classes = [type(permission) for permission in self.view.get_permissions()]
        if self.view.get_authenticators() and AllowAny not in permission_classes:
            statuses += [401, 403]
        if has_body:
            statuses.append(415)
        if self.view.get_throttles():
            statuses.append(429)
        statuses.append(503)
        return statuses


class InstantFieldExtension(OpenApiSerializerFieldExtension):
    """``since`` / ``until``: ISO 8601 or Unix epoch seconds, as text in a query string."""

    target_class = "autoforge.api_fields.InstantField"

    def map_serializer_field(self, auto_schema, direction):
        return {
            "type": "string",
            "anyOf": [{"format": "date-time"}, {"pattern": r"^[+-]?[0-9]+(\.[0-9]*)?$"}],
            "description": (
                "ISO 8601 date-time (no offset: UTC) or Unix epoch seconds, "
                "e.g. 2026-01-29T14:30:45Z or 1769697045."
            ),
            "example": "2026-01-29T14:30:45Z",
        }
