"""OpenAPI descriptions of ``/api/devices/<device_id>/credentials`` (drf-spectacular)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from autoforge.openapi import ErrorSerializer

_AUTH_NOTE = (
    " Needs an authenticated user with the permission devices.manage_credentials "
    "(superusers have it)."
)
_DEVICE_ID = OpenApiParameter(
    "device_id", OpenApiTypes.STR, OpenApiParameter.PATH, pattern=r"^[A-Za-z0-9_.\-]{1,64}$"
)


class DeviceCredentialsSerializer(serializers.Serializer):
    device_id = serializers.CharField()
    username = serializers.CharField(help_text="The MQTT username: the device id.")
    password = serializers.CharField(help_text="The MQTT password: shown here only, never again.")


class DeviceIdErrorSerializer(serializers.Serializer):
    message = serializers.CharField()
    device_id = serializers.CharField()


_REFUSED = OpenApiResponse(
    DeviceIdErrorSerializer,
    description="Not a device id (1-64 of A-Z a-z 0-9 _ - .), or the name of a backend account.",
)
_BROKER_DOWN = OpenApiResponse(
    ErrorSerializer,
    description=(
        "The broker could not be reached or refused the change (or the database is "
        "unavailable); nothing was changed. Retry later."
    ),
)

credentials_create = extend_schema(
    operation_id="device_credentials_create",
    summary="Create or rotate a device's MQTT credentials",
    description=(
        "The device connects to the broker with username = its device id and this "
        "password, and may publish only its own readings and answers and subscribe "
        "only to its own commands. An old password stops working at once, and a client "
        "connected with it is disconnected. The password is shown in this answer only. "
        "A device that has sent no reading yet joins the registry." + _AUTH_NOTE
    ),
    parameters=[_DEVICE_ID],
    request=None,
    responses={
        201: OpenApiResponse(DeviceCredentialsSerializer, description="The new credentials."),
        400: _REFUSED,
        503: _BROKER_DOWN,
    },
)

credentials_revoke = extend_schema(
    operation_id="device_credentials_revoke",
    summary="Revoke a device's MQTT credentials",
    description=(
        "The device can no longer connect or publish; a connected client of it is "
        "disconnected. Revoking a device without credentials is no error." + _AUTH_NOTE
    ),
    parameters=[_DEVICE_ID],
    request=None,
    responses={204: OpenApiResponse(description="Revoked."), 400: _REFUSED, 503: _BROKER_DOWN},
)
