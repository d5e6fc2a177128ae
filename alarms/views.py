"""Alarm API: the rules (read by anyone who may read the API, written with the
model permissions) and the alarms they raise (read, acknowledged). CONTRACT §3 v2.

Writes go through ``alarms.services``: a rule disabled or deleted clears its
active alarms there, whoever changes it.
"""

from __future__ import annotations

from rest_framework import status
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, DjangoModelPermissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from alarms import openapi, selectors, services
from alarms.models import Alarm, AlarmRule
from alarms.permissions import CanAcknowledgeAlarms
from alarms.serializers import AlarmListQuerySerializer, AlarmRuleSerializer, AlarmSerializer
from autoforge.api_fields import path_id
from autoforge.parsers import JSONParser
from autoforge.permissions import ReadsRequireAuthSetting


def _not_found(what: str, pk: str) -> Response:
    ident = path_id(pk)
    body = {"message": f"{what} not found"}
    if ident is not None:
        body = {"message": f"{what} {ident} not found", "id": ident}
    return Response(body, status=status.HTTP_404_NOT_FOUND)


class AlarmRuleViewSet(GenericViewSet):
    """GET/POST /api/alarm-rules, GET/PATCH/DELETE /api/alarm-rules/<id>."""

    queryset = selectors.rule_list()
    serializer_class = AlarmRuleSerializer
    parser_classes = [JSONParser]
    lookup_value_regex = r"[0-9]+"

    def get_permissions(self) -> list[BasePermission]:
        if self.action in ("list", "retrieve", "metadata"):  # metadata: OPTIONS
            return [ReadsRequireAuthSetting()]
        # add_/change_/delete_alarmrule for POST/PATCH/DELETE; 401 when anonymous.
        return [DjangoModelPermissions()]

    def _rule(self, pk: str) -> AlarmRule | None:
        rule_id = path_id(pk)
        return None if rule_id is None else self.get_queryset().filter(pk=rule_id).first()

    @openapi.rule_list
    def list(self, request: Request) -> Response:
        return Response(AlarmRuleSerializer(self.get_queryset(), many=True).data)

    @openapi.rule_create
    def create(self, request: Request) -> Response:
        body = AlarmRuleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(AlarmRuleSerializer(body.save()).data, status=status.HTTP_201_CREATED)

    @openapi.rule_retrieve
    def retrieve(self, request: Request, pk: str) -> Response:
        rule = self._rule(pk)
        if rule is None:
            return _not_found("Alarm rule", pk)
        return Response(AlarmRuleSerializer(rule).data)

    @openapi.rule_partial_update
    def partial_update(self, request: Request, pk: str) -> Response:
        rule = self._rule(pk)
        if rule is None:
            return _not_found("Alarm rule", pk)
        body = AlarmRuleSerializer(rule, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        return Response(AlarmRuleSerializer(body.save()).data)

    @openapi.rule_destroy
    def destroy(self, request: Request, pk: str) -> Response:
        rule = self._rule(pk)
        if rule is None:
            return _not_found("Alarm rule", pk)
        services.rule_delete(rule=rule)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AlarmViewSet(GenericViewSet):
    """GET /api/alarms, GET /api/alarms/<id>, POST /api/alarms/<id>/ack."""

    serializer_class = AlarmSerializer
    lookup_value_regex = r"[0-9]+"

    def _alarm(self, pk: str) -> Alarm | None:
        alarm_id = path_id(pk)
        return None if alarm_id is None else selectors.alarm_get(alarm_id=alarm_id)

    @openapi.alarm_list
    def list(self, request: Request) -> Response:
        query = AlarmListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = dict(query.validated_data)
        limit, offset = params.pop("limit"), params.pop("offset")
        alarms = selectors.alarm_list(**params)[offset : offset + limit]
        data = AlarmSerializer(alarms, many=True).data
        return Response({"count": len(data), "limit": limit, "offset": offset, "data": data})

    @openapi.alarm_retrieve
    def retrieve(self, request: Request, pk: str) -> Response:
        alarm = self._alarm(pk)
        if alarm is None:
            return _not_found("Alarm", pk)
        return Response(AlarmSerializer(alarm).data)

    @openapi.alarm_acknowledge
    @action(
        detail=True, methods=["post"], url_path="ack", permission_classes=[CanAcknowledgeAlarms]
    )
    def acknowledge(self, request: Request, pk: str) -> Response:
        alarm = self._alarm(pk)
        if alarm is None:
            return _not_found("Alarm", pk)
        alarm = services.alarm_acknowledge(alarm=alarm, user=request.user)
        return Response(AlarmSerializer(alarm).data)
