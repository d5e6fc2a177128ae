"""Who may send and read commands."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission


class CanSendCommands(BasePermission):
    """Authenticated users with ``control.add_command`` may send commands; reading
    them needs ``control.view_command`` or ``control.add_command`` (whoever may
    send a command may follow it). Superusers have every permission.

    An anonymous request is refused with 401 (the first authentication class,
    TokenAuthentication, gives DRF a ``WWW-Authenticate`` header), an
    authenticated one without the permission with 403.
    """

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if user.has_perm("control.add_command"):
            return True
        return request.method in SAFE_METHODS and user.has_perm("control.view_command")
