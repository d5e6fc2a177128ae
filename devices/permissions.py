"""Who may manage device credentials."""

from __future__ import annotations

from rest_framework.permissions import BasePermission


class CanManageCredentials(BasePermission):
    """Authenticated users with ``devices.manage_credentials`` (superusers have it).

    Anonymous: 401 (TokenAuthentication gives DRF a ``WWW-Authenticate``
    header); authenticated without the permission: 403.
    """

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("devices.manage_credentials"))
