"""Who may acknowledge alarms (rules: DRF's ``DjangoModelPermissions``).

Anonymous writes are refused with 401 (the first authentication class,
TokenAuthentication, gives DRF a ``WWW-Authenticate`` header), authenticated
ones without the permission with 403. Superusers have every permission.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission


class CanAcknowledgeAlarms(BasePermission):
    """Authenticated users with ``alarms.acknowledge_alarm``."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("alarms.acknowledge_alarm"))
