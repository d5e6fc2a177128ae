"""Permissions read at request time, so settings can change without a re-import."""

from __future__ import annotations

from django.conf import settings
from rest_framework.permissions import BasePermission


class ReadsRequireAuthSetting(BasePermission):
    """Public reads, unless ``API_READS_REQUIRE_AUTH`` asks for an authenticated user."""

    def has_permission(self, request, view) -> bool:
        if not settings.API_READS_REQUIRE_AUTH:
            return True
        return bool(request.user and request.user.is_authenticated)
