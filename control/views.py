"""Control API (to be built)."""

from __future__ import annotations

from rest_framework.viewsets import GenericViewSet


class CommandViewSet(GenericViewSet):
    pass
