"""OpenAPI descriptions of ``/api/control`` (drf-spectacular).

The views carry one decorator each from here. The request body is described
by its own serializer, because ``CommandCreateSerializer`` checks its
patterns with validator functions that a schema generator cannot read.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from control.serializers import MAX_PARAMETERS_BYTES, CommandListQuerySerializer, CommandSerializer

DEVICE_ID_PATTERN = r"^[A-Za-z0-9_.\-]{1,64}$"
COMMAND_PATTERN = r"^[a-z0-9_]{1,64}$"
_AUTH_NOTE = (
    " Needs an authenticated user with the permission control.add_command (to send) or "
    "control.view_command (to read); superusers have both."
)


class CommandRequestSerializer(serializers.Serializer):
    """The command to send."""

    device_id = serializers.RegexField(DEVICE_ID_PATTERN, max_length=64)
    command = serializers.RegexField(COMMAND_PATTERN, max_length=64)
    parameters = serializers.DictField(
        required=False,
        allow_null=True,
        help_text=f"A JSON object of at most {MAX_PARAMETERS_BYTES} bytes; null: none.",
    )


class CommandAcceptedSerializer(CommandSerializer):
    """The stored command, and a sentence about its delivery."""

    message = serializers.CharField()

    class Meta(CommandSerializer.Meta):
        fields = (*CommandSerializer.Meta.fields, "message")
        read_only_fields = fields


class CommandListResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Commands in this page (len(data)).")
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()
    device_id = serializers.CharField(allow_null=True, help_text="The filter given, or null.")
    data = CommandSerializer(many=True, help_text="Newest first.")


class CommandNotFoundSerializer(serializers.Serializer):
    message = serializers.CharField()
    id = serializers.IntegerField(required=False, help_text="The id asked for, if a number.")


command_create = extend_schema(
    operation_id="control_create",
    summary="Send a command to a device",
    description=(
        "Stored as `pending`; the ingest publishes it on the device's control topic (QoS 1) "
        "and follows it to `sent`, then `acknowledged`, `failed` or `expired`. The "
        "`Location` header names the command." + _AUTH_NOTE
    ),
    request=CommandRequestSerializer,
    responses={
        202: OpenApiResponse(CommandAcceptedSerializer, description="Queued for delivery."),
    },
)

command_list = extend_schema(
    operation_id="control_list",
    summary="The commands, newest first",
    description=_AUTH_NOTE.strip(),
    parameters=[
        CommandListQuerySerializer,
        OpenApiParameter("device_id", OpenApiTypes.STR, pattern=DEVICE_ID_PATTERN),
    ],
    responses={200: CommandListResponseSerializer},
)

command_retrieve = extend_schema(
    operation_id="control_retrieve",
    summary="One command and its status",
    description=_AUTH_NOTE.strip(),
    parameters=[
        OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, pattern="^[0-9]+$")
    ],
    responses={
        200: CommandSerializer,
        404: OpenApiResponse(CommandNotFoundSerializer, description="No such command."),
    },
)
