"""Commands in the admin: browse and inspect; the API and the outbox write them."""

from __future__ import annotations

from django.contrib import admin

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
