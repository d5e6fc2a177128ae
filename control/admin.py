"""Commands in the admin: browse and inspect; the API and the outbox write them."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from control.models import Command


@admin.register(Command)
class CommandAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "device_id",
        "command",
        "status",
        "created_by",
        "created_at",
        "sent_at",
        "acknowledged_at",
        "expires_at",
        "publish_count",
    )
    list_filter = ("status", "command")
    search_fields = ("device_id", "command")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    list_select_related = ("created_by",)
    readonly_fields = ("claimed_until", "publish_count")
    raw_id_fields = ("created_by",)

    # Commands are created by POST /api/control (which validates them) and
    # moved through their life cycle by the outbox; a form that edits the
    # status or the device of a command already sent would only falsify its
    # history. Deleting stays possible, to clear old commands out.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Command | None = None) -> bool:
        return False
