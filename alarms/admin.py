"""Alarms in the admin: rules managed through ``alarms.services`` (so that a
rule disabled or deleted here clears its alarms, as through the API), alarms
browsed and acknowledged, notifications inspected with their webhook attempts."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from alarms import services
from alarms.models import Alarm, AlarmNotification, AlarmRule, WebhookAttempt
from devices.identity import DEVICE_ID_RE, DEVICE_ID_RULE


class AlarmRuleForm(forms.ModelForm):
    """The API's rules for a rule: a device id as the ingest knows them, a
    bounded ``for_seconds``, a clear threshold on the right side."""

    for_seconds = forms.IntegerField(min_value=0, max_value=services.FOR_SECONDS_MAX, initial=0)

    class Meta:
        model = AlarmRule
        fields = services.RULE_FIELDS

    def clean_device_id(self) -> str | None:
        device_id = self.cleaned_data.get("device_id")
        if device_id and not DEVICE_ID_RE.fullmatch(device_id):
            raise forms.ValidationError(DEVICE_ID_RULE.capitalize() + ".")
        return device_id or None

    def clean(self) -> dict:
        cleaned = super().clean()
        if None not in (cleaned.get("operator"), cleaned.get("threshold")):
            problem = services.clear_threshold_problem(
                operator=cleaned["operator"],
                threshold=cleaned["threshold"],
                clear=cleaned.get("clear_threshold"),
            )
            if problem:
                self.add_error("clear_threshold", problem)
        return cleaned


@admin.register(AlarmRule)
class AlarmRuleAdmin(admin.ModelAdmin):
    form = AlarmRuleForm
    list_display = services.RULE_FIELDS
    list_filter = ("enabled", "severity", "metric", "device_id")
    search_fields = ("name", "device_id")

    def save_model(self, request: HttpRequest, obj: AlarmRule, form, change: bool) -> None:
        if change:
            # Only what the form changed: a save without a change keeps pending runs.
            changed = [name for name in form.changed_data if name in services.RULE_FIELDS]
            if changed:
                services.rule_update(rule=obj, **{name: getattr(obj, name) for name in changed})
            return
        fields = {name: getattr(obj, name) for name in services.RULE_FIELDS}
        created = services.rule_create(**fields)
        # The admin goes on with ``obj`` (its history entry, the redirect).
        obj.pk, obj.created_at, obj.updated_at = created.pk, created.created_at, created.updated_at
        obj._state.adding, obj._state.db = False, created._state.db

    def delete_model(self, request: HttpRequest, obj: AlarmRule) -> None:
        services.rule_delete(rule=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[AlarmRule]) -> None:
        for rule in queryset:
            services.rule_delete(rule=rule)


@admin.register(Alarm)
class AlarmAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "rule_name",
        "device_id",
        "metric",
        "severity",
        "status",
        "value",
        "threshold",
        "started_at",
        "cleared_at",
        "acknowledged",
        "acknowledged_by",
    )
    list_filter = ("status", "severity", "acknowledged", "kind", "device_id")
    search_fields = ("device_id", "rule_name")
    date_hierarchy = "started_at"
    list_select_related = ("acknowledged_by",)
    actions = ["acknowledge"]

    @admin.action(description="Acknowledge", permissions=["acknowledge"])
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[Alarm]) -> None:
        alarms = list(queryset.filter(acknowledged=False))
        for alarm in alarms:
            services.alarm_acknowledge(alarm=alarm, user=request.user)
        self.message_user(request, f"{len(alarms)} alarm(s) acknowledged.", messages.SUCCESS)

    def has_acknowledge_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("alarms.acknowledge_alarm")

    # Alarms are raised and cleared by the ingest and the rule services; a
    # form that edits one would only falsify the history the notifications told.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Alarm | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Alarm | None = None) -> bool:
        return False


class ReadOnlyMixin:
    """Shown, never written by hand: the outbox records these."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class WebhookAttemptInline(ReadOnlyMixin, admin.TabularInline):
    model = WebhookAttempt
    fields = ("attempted_at", "status_code", "error", "duration_ms")
    extra = 0


@admin.register(AlarmNotification)
class AlarmNotificationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "event",
        "alarm_id",
        "device_id",
        "created_at",
        "mqtt_published_at",
        "webhook_due",
        "webhook_delivered_at",
        "webhook_failed_at",
        "webhook_attempts",
    )
    list_filter = ("event", "webhook_due")
    search_fields = ("device_id",)
    date_hierarchy = "created_at"
    inlines = [WebhookAttemptInline]
