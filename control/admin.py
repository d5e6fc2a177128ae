"""Commands in the admin: browse and inspect; the API and the outbox write them."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from autoforge.lone_surrogates import replace_lone_surrogates
from control.models import Command


def json_display(value: Any) -> str:
    """A JSON value as the admin shows it, lone surrogates replaced by U+FFFD.

    Django's own display of a JSONField writes them into the page as they
    are, which cannot be encoded: a 500 for a command whose device answered
    ``"\\ud800"`` (SQLite and MariaDB store it).
    """
    return replace_lone_surrogates(json.dumps(value, ensure_ascii=False))


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
    raw_id_fields = ("created_by",)
    fields = (
        "device_id",
        "command",
        "parameters_json",
        "status",
        "created_by",
        "created_at",
        "sent_at",
        "acknowledged_at",
        "expires_at",
        "detail_json",
        "claimed_until",
        "publish_count",
    )
    readonly_fields = ("parameters_json", "detail_json", "claimed_until", "publish_count")

    @admin.display(description="parameters")
    def parameters_json(self, command: Command) -> str:
        return json_display(command.parameters)

    @admin.display(description="detail")
    def detail_json(self, command: Command) -> str:
        if command.detail is None:
            return self.get_empty_value_display()
        return json_display(command.detail)

    # Commands are created by POST /api/control (which validates them) and
    # moved through their life cycle by the outbox; a form that edits the
    # status or the device of a command already sent would only falsify its
    # history. Deleting stays possible, to clear old commands out.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Command | None = None) -> bool:
        return False
