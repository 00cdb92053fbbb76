"""REST API for alert rules: organisation defaults (monitor null) and a monitor's own rules."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import organization_for
from accounts.models import Organization
from accounts.roles import Permission
from accounts.services import actor_for_request
from alerts.models import AlertRule, Channel
from alerts.selectors import channel_list_for_organization
from alerts.selectors_incidents import alert_rule_get, alert_rule_list_for_organization
from alerts.services.rules import alert_rule_create, alert_rule_delete, alert_rule_update
from core.api import Pagination, or_404, paginated_response
from monitors.models import Monitor


def rule_for(request: Request, rule_id: int) -> AlertRule:
    """The caller's organisation's rule; another organisation's id is 404, like a missing one."""
    return or_404(alert_rule_get(organization=organization_for(request), rule_id=rule_id))


@extend_schema_serializer(component_name="AlertRule")
class AlertRuleOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    monitor = serializers.IntegerField(source="monitor_id", allow_null=True)
    condition = serializers.CharField()
    threshold_ms = serializers.IntegerField(allow_null=True)
    window_minutes = serializers.IntegerField()
    slo_percent = serializers.DecimalField(max_digits=6, decimal_places=3, allow_null=True, coerce_to_string=False)
    min_severity = serializers.CharField()
    days_before_expiry = serializers.IntegerField(allow_null=True)
    channels = serializers.SerializerMethodField()
    suppression_minutes = serializers.IntegerField()
    reminder_hours = serializers.IntegerField(allow_null=True)
    enabled = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_channels(self, rule: AlertRule) -> list[int]:
        return sorted(c.id for c in rule.channels.all())


@extend_schema_serializer(component_name="AlertRuleInput")
class AlertRuleInputSerializer(serializers.Serializer):
    """Fields of a rule; ids of monitors and channels are checked against the caller's organisation."""

    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    monitor = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    condition = serializers.ChoiceField(choices=AlertRule.Condition.choices)
    threshold_ms = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=600_000)
    window_minutes = serializers.IntegerField(required=False, min_value=1, max_value=1440)
    slo_percent = serializers.DecimalField(max_digits=6, decimal_places=3, required=False, allow_null=True)
    min_severity = serializers.ChoiceField(choices=AlertRule.Severity.choices, required=False)
    days_before_expiry = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=365)
    channels = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=100)
    suppression_minutes = serializers.IntegerField(required=False, min_value=0, max_value=10_080)
    reminder_hours = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=720)
    enabled = serializers.BooleanField(required=False)


def resolve_ids(*, organization: Organization, data: dict[str, Any]) -> dict[str, Any]:
    """Turn monitor and channel ids into the organisation's objects; unknown or foreign ids are 400, never 500."""
    fields = dict(data)
    errors: dict[str, list[str]] = {}
    if "monitor" in fields and fields["monitor"] is not None:
        monitor = Monitor.objects.filter(organization=organization, id=fields["monitor"]).first()
        if monitor is None:
            errors["monitor"] = ["No such monitor."]
        fields["monitor"] = monitor
    if "channels" in fields:
        wanted = set(fields["channels"])
        found: list[Channel] = list(channel_list_for_organization(organization=organization).filter(id__in=wanted))
        if len(found) != len(wanted):
            errors["channels"] = [
                "No such channel: " + ", ".join(str(i) for i in sorted(wanted - {c.id for c in found}))
            ]
        fields["channels"] = found
    if errors:
        raise serializers.ValidationError(errors)
    return fields


class AlertRuleListApi(APIView):
    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer):
        monitor = serializers.IntegerField(required=False, min_value=1, help_text="Only this monitor's own rules.")
        defaults = serializers.BooleanField(required=False, help_text="Only the organisation defaults.")

    @extend_schema(
        operation_id="alert_rules_list", parameters=[FilterSerializer], responses=AlertRuleOutputSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rules = alert_rule_list_for_organization(
            organization=organization_for(request), defaults_only=filters.validated_data.get("defaults", False)
        )
        if (monitor_id := filters.validated_data.get("monitor")) is not None:
            rules = rules.filter(monitor_id=monitor_id)  # another tenant's id matches nothing
        return paginated_response(
            view=self, request=request, queryset=rules, serializer_class=AlertRuleOutputSerializer
        )


class AlertRuleCreateApi(APIView):
    write_permission = Permission.MANAGE_CHANNELS

    @extend_schema(
        operation_id="alert_rules_create",
        request=AlertRuleInputSerializer,
        responses={201: AlertRuleOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        organization = organization_for(request)
        data = AlertRuleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = resolve_ids(organization=organization, data=data.validated_data)
        rule = alert_rule_create(organization=organization, actor=actor_for_request(request), **fields)
        return Response(AlertRuleOutputSerializer(rule).data, status=status.HTTP_201_CREATED)


class AlertRuleDetailApi(APIView):
    @extend_schema(operation_id="alert_rules_retrieve", responses=AlertRuleOutputSerializer)
    def get(self, request: Request, rule_id: int) -> Response:
        return Response(AlertRuleOutputSerializer(rule_for(request, rule_id)).data)


class AlertRuleUpdateApi(APIView):
    write_permission = Permission.MANAGE_CHANNELS

    @extend_schema_serializer(component_name="AlertRuleUpdateInput")
    class InputSerializer(AlertRuleInputSerializer):
        condition = serializers.ChoiceField(choices=AlertRule.Condition.choices, required=False)

    @extend_schema(
        operation_id="alert_rules_partial_update", request=InputSerializer, responses=AlertRuleOutputSerializer
    )
    def patch(self, request: Request, rule_id: int) -> Response:
        rule = rule_for(request, rule_id)
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = resolve_ids(organization=rule.organization, data=data.validated_data)
        if "monitor" in fields and fields.pop("monitor") != rule.monitor:
            raise serializers.ValidationError({"monitor": ["A rule's monitor cannot change; create another rule."]})
        rule = alert_rule_update(rule=rule, actor=actor_for_request(request), **fields)
        return Response(AlertRuleOutputSerializer(rule_for(request, rule.id)).data)


class AlertRuleDeleteApi(APIView):
    write_permission = Permission.MANAGE_CHANNELS

    @extend_schema(operation_id="alert_rules_destroy", responses={204: None})
    def delete(self, request: Request, rule_id: int) -> Response:
        alert_rule_delete(rule=rule_for(request, rule_id), actor=actor_for_request(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# One URL serves several operations; each stays its own class above (composition rules: core.api).
class AlertRuleCollectionApi(AlertRuleListApi, AlertRuleCreateApi):
    pass


class AlertRuleItemApi(AlertRuleDetailApi, AlertRuleUpdateApi, AlertRuleDeleteApi):
    pass
