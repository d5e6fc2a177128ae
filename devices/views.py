"""``/api/devices/<device_id>/credentials``: a device's MQTT credentials (CONTRACT §3 v2)."""

from __future__ import annotations

import logging

from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from devices import openapi
from devices.broker_admin import BrokerAdmin, BrokerAdminError
from devices.credentials import (
    DeviceIdRefused,
    device_credentials_issue,
    device_credentials_revoke,
)
from devices.permissions import CanManageCredentials

logger = logging.getLogger(__name__)


class DeviceCredentialsView(APIView):
    """POST: create or rotate (201, the password once); DELETE: revoke (204)."""

    permission_classes = [CanManageCredentials]

    @openapi.credentials_create
    def post(self, request: Request, device_id: str) -> Response:
        try:
            credentials = device_credentials_issue(
                device_id=device_id, broker=BrokerAdmin.from_settings()
            )
        except (DeviceIdRefused, BrokerAdminError) as error:
            return self._refused(error, device_id, "issue")
        logger.info("MQTT credentials of %s issued by %s", device_id, request.user)
        body = {
            "device_id": credentials.device_id,
            "username": credentials.username,
            "password": credentials.password,
        }
        # A password: no cache, no proxy, no browser history may keep it.
        return Response(body, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})

    @openapi.credentials_revoke
    def delete(self, request: Request, device_id: str) -> Response:
        try:
            device_credentials_revoke(device_id=device_id, broker=BrokerAdmin.from_settings())
        except (DeviceIdRefused, BrokerAdminError) as error:
            return self._refused(error, device_id, "revoke")
        logger.info("MQTT credentials of %s revoked by %s", device_id, request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _refused(self, error: Exception, device_id: str, action: str) -> Response:
        if isinstance(error, DeviceIdRefused):
            return Response({"message": str(error), "device_id": device_id}, status=400)
        logger.error("Could not %s the MQTT credentials of %s: %s", action, device_id, error)
        return Response({"message": f"Broker unavailable: {error}"}, status=503)
