"""OpenAPI descriptions of ``/api/alarm-rules`` and ``/api/alarms`` (drf-spectacular).

The views carry one decorator each from here; the error answers every
operation shares come from ``autoforge.openapi``.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from alarms.serializers import AlarmListQuerySerializer, AlarmRuleSerializer, AlarmSerializer

_RULE_WRITE_NOTE = (
    " Needs an authenticated user with the permission alarms.{}_alarmrule "
    "(superusers have it); writes clear the alarms a rule no longer raises."
)
_SEMANTICS = "See docs/alarms.md for what a rule means."


class NotFoundSerializer(serializers.Serializer):
    message = serializers.CharField()
    id = serializers.IntegerField(required=False, help_text="The id asked for (64-bit).")


class AlarmListResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Alarms in this page (len(data)).")
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()
    data = AlarmSerializer(many=True, help_text="Newest first (by started_at).")


def _on_one(what: str, *, success: int = 200, body=None, **kwargs):
    """``extend_schema`` of an operation on one rule or alarm: its ``id`` in
    the path, ``success`` with ``body``, or a 404 naming the id."""
    return extend_schema(
        parameters=[
            OpenApiParameter(
                "id",
                OpenApiTypes.INT,
                OpenApiParameter.PATH,
                pattern="^[0-9]+$",
                description=f"The {what}'s id.",
            )
        ],
        responses={
            success: body,
            404: OpenApiResponse(NotFoundSerializer, description=f"No such {what}."),
        },
        **kwargs,
    )


rule_list = extend_schema(
    operation_id="alarm_rules_list",
    summary="Every alarm rule",
    description=_SEMANTICS,
    responses={200: AlarmRuleSerializer(many=True)},
)

rule_create = extend_schema(
    operation_id="alarm_rules_create",
    summary="Create an alarm rule",
    description=_SEMANTICS + _RULE_WRITE_NOTE.format("add"),
    request=AlarmRuleSerializer,
    responses={201: AlarmRuleSerializer},
)

rule_retrieve = _on_one(
    "rule", body=AlarmRuleSerializer, operation_id="alarm_rules_retrieve", summary="One alarm rule"
)

rule_partial_update = _on_one(
    "rule",
    body=AlarmRuleSerializer,
    operation_id="alarm_rules_partial_update",
    summary="Change an alarm rule",
    description=(
        "The fields given replace the rule's; the rule they leave behind is validated "
        "as a whole. Its pending runs restart; disabled, or moved to another device, "
        "its active alarms that no longer apply clear." + _RULE_WRITE_NOTE.format("change")
    ),
    request=AlarmRuleSerializer(partial=True),
)

rule_destroy = _on_one(
    "rule",
    success=204,
    operation_id="alarm_rules_destroy",
    summary="Delete an alarm rule",
    description=(
        "Its active alarms clear; its alarms stay, with rule_id null and the rule's name."
        + _RULE_WRITE_NOTE.format("delete")
    ),
)

alarm_list = extend_schema(
    operation_id="alarms_list",
    summary="The alarms, newest first",
    parameters=[AlarmListQuerySerializer],
    responses={200: AlarmListResponseSerializer},
)

alarm_retrieve = _on_one(
    "alarm", body=AlarmSerializer, operation_id="alarms_retrieve", summary="One alarm"
)

alarm_acknowledge = _on_one(
    "alarm",
    body=AlarmSerializer,
    operation_id="alarms_acknowledge",
    summary="Acknowledge an alarm",
    description=(
        "Marks the alarm acknowledged by the caller; acknowledging it again keeps the "
        "first acknowledgement. Needs an authenticated user with the permission "
        "alarms.acknowledge_alarm (superusers have it)."
    ),
    request=None,
)
