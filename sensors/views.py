"""Read API (to be built): health and the sensors viewset."""

from __future__ import annotations

from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet


class HealthView(APIView):
    pass


class SensorReadingViewSet(GenericViewSet):
    pass
