"""The device registry in the admin: every device, online or not, with links.

Read-only: the ingest keeps it (``manage.py rebuild_rollups`` recomputes it).
The links go to the readings' and commands' own admin pages by URL, so this
app imports neither. Two actions issue (create or rotate) and revoke the
selected devices' MQTT credentials; issued passwords are shown on the page
the action answers with, once, never through the messages framework (which
may keep them in a cookie).
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html

from devices.broker_admin import BrokerAdmin, BrokerAdminError
from devices.credentials import DeviceIdRefused, device_credentials_issue, device_credentials_revoke
from devices.models import Device


def _offline_before():
    return timezone.now() - timedelta(seconds=settings.DEVICE_OFFLINE_AFTER_SECONDS)


class OnlineFilter(admin.SimpleListFilter):
    title = "online"
    parameter_name = "online"

    def lookups(self, request, model_admin):
        return (("yes", "Online"), ("no", "Offline"))

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(last_seen__gte=_offline_before())
        if self.value() == "no":
            return queryset.filter(Q(last_seen__lt=_offline_before()) | Q(last_seen__isnull=True))
        return queryset


def _changelist_link(url_name: str, device_id: str, text: str) -> str:
    try:
        url = reverse(url_name)
    except NoReverseMatch:
        return "-"
    return format_html('<a href="{}?{}">{}</a>', url, urlencode({"q": device_id}), text)


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = (
        "device_id",
        "online",
        "last_seen",
        "first_seen",
        "reading_count",
        "latest_timestamp",
        "credentials_issued_at",
        "readings",
        "commands",
    )
    list_filter = (OnlineFilter,)
    actions = ("issue_credentials", "revoke_credentials")
    search_fields = ("device_id",)
    ordering = ("device_id",)
    readonly_fields = list_display

    @admin.display(boolean=True)
    def online(self, device: Device) -> bool:
        return device.last_seen is not None and device.last_seen >= _offline_before()

    @admin.display(description="readings")
    def readings(self, device: Device) -> str:
        return _changelist_link(
            "admin:sensors_sensorreading_changelist", device.device_id, "readings"
        )

    @admin.display(description="commands")
    def commands(self, device: Device) -> str:
        return _changelist_link("admin:control_command_changelist", device.device_id, "commands")

    def has_manage_credentials_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("devices.manage_credentials")

    @admin.action(
        description="Issue (create or rotate) MQTT credentials", permissions=["manage_credentials"]
    )
    def issue_credentials(
        self, request: HttpRequest, queryset: QuerySet
    ) -> TemplateResponse | None:
        issued, failures = [], []
        try:
            broker = BrokerAdmin.from_settings()
        except BrokerAdminError as error:
            self.message_user(request, str(error), messages.ERROR)
            return None
        for device in queryset.order_by("device_id"):
            try:
                issued.append(device_credentials_issue(device_id=device.device_id, broker=broker))
            except (DeviceIdRefused, BrokerAdminError) as error:
                failures.append((device.device_id, str(error)))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "issued": issued,
            "failures": failures,
        }
        # The admin's pages are never_cache already: no-store included.
        return TemplateResponse(request, "admin/devices/device/credentials_issued.html", context)

    @admin.action(description="Revoke MQTT credentials", permissions=["manage_credentials"])
    def revoke_credentials(self, request: HttpRequest, queryset: QuerySet) -> None:
        try:
            broker = BrokerAdmin.from_settings()
            for device in queryset.order_by("device_id"):
                device_credentials_revoke(device_id=device.device_id, broker=broker)
                self.message_user(request, f"Revoked the MQTT credentials of {device}.")
        except (DeviceIdRefused, BrokerAdminError) as error:
            self.message_user(request, str(error), messages.ERROR)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
