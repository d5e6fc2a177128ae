"""`/api/devices` and `/api/devices/<device_id>`: the registry with the latest readings.

Served by the readings app, which owns the readings a device's ``latest``
comes from; the registry itself is the ``devices`` app's.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from devices.identity import DEVICE_ID_RE
from sensors import device_selectors, openapi
from sensors.serializers import DeviceQuerySerializer, device_representation


class DeviceViewSet(GenericViewSet):
    """GET /api/devices, GET /api/devices/<device_id> (CONTRACT §3 v2)."""

    lookup_field = "device_id"
    lookup_value_regex = r"[^/]+"

    @staticmethod
    def _offline_before():
        return device_selectors.offline_before(
            now=timezone.now(), offline_after_seconds=settings.DEVICE_OFFLINE_AFTER_SECONDS
        )

    @openapi.device_list
    def list(self, request: Request) -> Response:
        query = DeviceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        offline_before = self._offline_before()
        devices, total = device_selectors.devices_page(
            online=params["online"],
            offline_before=offline_before,
            limit=params["limit"],
            offset=params["offset"],
        )
        return Response(
            {
                "count": len(devices),
                "total": total,
                "limit": params["limit"],
                "offset": params["offset"],
                "data": [device_representation(d, offline_before=offline_before) for d in devices],
            }
        )

    @openapi.device_retrieve
    def retrieve(self, request: Request, device_id: str) -> Response:
        device = None
        if DEVICE_ID_RE.fullmatch(device_id):
            device = device_selectors.device_get(device_id=device_id)
        if device is None:
            return Response({"message": "Device not found", "device_id": device_id}, status=404)
        return Response(
            {"data": device_representation(device, offline_before=self._offline_before())}
        )
