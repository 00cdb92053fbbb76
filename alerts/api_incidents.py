"""REST API for incidents: list (filters), one with its timeline, acknowledge, comment, resolve by hand."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import organization_for
from accounts.roles import Permission
from accounts.services import actor_for_request
from alerts.models import Incident
from alerts.selectors_incidents import (
    INCIDENT_STATES,
    incident_get_with_timeline,
    incident_list_filtered,
    incident_state,
)
from alerts.services.incidents import (
    incident_acknowledge,
    incident_comment_add,
    incident_durations,
    incident_resolve_by_hand,
)
from core.api import Pagination, or_404, paginated_response


def incident_for(request: Request, incident_id: int) -> Incident:
    """The caller's organisation's incident with its timeline; another organisation's id is 404."""
    return or_404(incident_get_with_timeline(organization=organization_for(request), incident_id=incident_id))


@extend_schema_serializer(component_name="Incident")
class IncidentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    monitor = serializers.IntegerField(source="monitor_id")
    opened_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    cause = serializers.CharField()
    kind = serializers.CharField()
    state = serializers.SerializerMethodField()
    rule = serializers.IntegerField(source="rule_id", allow_null=True)
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    acknowledged_by = serializers.EmailField(source="acknowledged_by.email", allow_null=True, default=None)
    resolved_by_user = serializers.EmailField(source="resolved_by_user.email", allow_null=True, default=None)
    duration_seconds = serializers.IntegerField(read_only=True)
    time_to_acknowledge_seconds = serializers.IntegerField(read_only=True, allow_null=True)
    time_to_resolve_seconds = serializers.IntegerField(read_only=True, allow_null=True)

    def get_state(self, incident: Incident) -> str:
        return incident_state(incident)

    def to_representation(self, incident: Incident) -> dict[str, Any]:
        body = super().to_representation(incident)
        return body | asdict(incident_durations(incident=incident))


@extend_schema_serializer(component_name="IncidentEvent")
class IncidentEventOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    message = serializers.CharField()
    actor = serializers.EmailField(source="actor.email", allow_null=True, default=None)
    data = serializers.JSONField()


@extend_schema_serializer(component_name="IncidentDetail")
class IncidentDetailOutputSerializer(IncidentOutputSerializer):
    timeline = IncidentEventOutputSerializer(source="events.all", many=True)


class IncidentListApi(APIView):
    # Read only: no write_permission, so OrganizationPermission refuses every write.
    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer):
        monitor = serializers.IntegerField(required=False, min_value=1, help_text="Only this monitor's incidents.")
        state = serializers.ChoiceField(choices=INCIDENT_STATES, required=False)
        kind = serializers.ChoiceField(choices=Incident.Kind.choices, required=False)
        since = serializers.DateTimeField(required=False, help_text="Opened at or after this time.")
        until = serializers.DateTimeField(required=False, help_text="Opened before this time.")

        def validate(self, attrs: dict) -> dict:
            if "since" in attrs and "until" in attrs and attrs["since"] >= attrs["until"]:
                raise serializers.ValidationError({"until": ["Must be after since."]})
            return attrs

    @extend_schema(
        operation_id="incidents_list", parameters=[FilterSerializer], responses=IncidentOutputSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        incidents = incident_list_filtered(
            organization=organization_for(request),
            monitor_id=data.get("monitor"),
            state=data.get("state"),
            kind=data.get("kind"),
            since=data.get("since"),
            until=data.get("until"),
        )
        return paginated_response(
            view=self, request=request, queryset=incidents, serializer_class=IncidentOutputSerializer
        )


class IncidentDetailApi(APIView):
    @extend_schema(operation_id="incidents_retrieve", responses=IncidentDetailOutputSerializer)
    def get(self, request: Request, incident_id: int) -> Response:
        return Response(IncidentDetailOutputSerializer(incident_for(request, incident_id)).data)


class IncidentAcknowledgeApi(APIView):
    write_permission = Permission.MANAGE_MONITORS

    @extend_schema(operation_id="incidents_acknowledge", request=None, responses=IncidentDetailOutputSerializer)
    def post(self, request: Request, incident_id: int) -> Response:
        """Acknowledge: stops reminders. Acknowledging twice is harmless; a resolved incident is 400."""
        incident = incident_acknowledge(incident=incident_for(request, incident_id), actor=actor_for_request(request))
        return Response(IncidentDetailOutputSerializer(incident_for(request, incident.id)).data)


class IncidentCommentApi(APIView):
    write_permission = Permission.MANAGE_MONITORS

    @extend_schema_serializer(component_name="IncidentCommentInput")
    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(max_length=2000)

    @extend_schema(
        operation_id="incidents_comment", request=InputSerializer, responses={201: IncidentEventOutputSerializer}
    )
    def post(self, request: Request, incident_id: int) -> Response:
        incident = incident_for(request, incident_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = incident_comment_add(
            incident=incident, actor=actor_for_request(request), body=data.validated_data["body"]
        )
        return Response(IncidentEventOutputSerializer(event).data, status=status.HTTP_201_CREATED)


class IncidentResolveApi(APIView):
    write_permission = Permission.MANAGE_MONITORS

    @extend_schema(operation_id="incidents_resolve", request=None, responses=IncidentDetailOutputSerializer)
    def post(self, request: Request, incident_id: int) -> Response:
        """Resolve by hand; a resolved incident is 400."""
        incident = incident_resolve_by_hand(
            incident=incident_for(request, incident_id), actor=actor_for_request(request)
        )
        return Response(IncidentDetailOutputSerializer(incident_for(request, incident.id)).data)
