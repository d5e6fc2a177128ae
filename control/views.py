"""Control API: send a command to a device and follow it (CONTRACT §3).

The view only stores the command; ``mqtt_ingest``'s outbox delivers it.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from rest_framework import status
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from autoforge.api_fields import path_id
from autoforge.parsers import JSONParser
from control import openapi, selectors, services
from control.permissions import CanSendCommands
from control.serializers import (
    CommandCreateSerializer,
    CommandListQuerySerializer,
    CommandSerializer,
)


class CommandViewSet(GenericViewSet):
    """POST /api/control, GET /api/control, GET /api/control/<id>."""

    permission_classes = [CanSendCommands]
    parser_classes = [JSONParser]
    serializer_class = CommandSerializer
    lookup_value_regex = r"[0-9]+"

    @openapi.command_create
    def create(self, request) -> Response:
        body = CommandCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        command = services.command_create(
            **body.validated_data,
            created_by=request.user,
            ttl_seconds=settings.COMMAND_TTL_SECONDS,
        )
        data = {
            **CommandSerializer(command).data,
            "message": f"Command queued for delivery to {command.device_id}",
        }
        location = reverse("command-detail", kwargs={"pk": command.id})
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": location})

    @openapi.command_list
    def list(self, request) -> Response:
        query = CommandListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        device_id = query.validated_data.get("device_id")
        limit = query.validated_data["limit"]
        offset = query.validated_data["offset"]
        commands = selectors.command_list(device_id=device_id)[offset : offset + limit]
        data = CommandSerializer(commands, many=True).data
        return Response(
            {
                "count": len(data),
                "limit": limit,
                "offset": offset,
                "device_id": device_id,
                "data": data,
            }
        )

    @openapi.command_retrieve
    def retrieve(self, request, pk: str) -> Response:
        command_id = path_id(pk)
        command = None if command_id is None else selectors.command_get(command_id=command_id)
        if command is None:
            body = {"message": "Command not found"}
            if command_id is not None:
                body = {"message": f"Command {command_id} not found", "id": command_id}
            return Response(body, status=status.HTTP_404_NOT_FOUND)
        return Response(CommandSerializer(command).data)
