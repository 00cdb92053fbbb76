"""REST API of contract drift: a monitor's drift events (list, accept) and baselines (history, pin, relearn)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Permission
from accounts.services import actor_for_request
from checks.drift import baseline_pin_json_schema, baseline_pin_openapi, baseline_relearn, drift_accept
from checks.models import DriftEvent
from checks.selectors_drift import baseline_list_for_monitor, drift_event_get_for_monitor, drift_event_list_for_monitor
from core.api import Pagination, or_404, paginated_response
from monitors.api import monitor_for


@extend_schema_serializer(component_name="DriftChange")
class ChangeSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="JSONPath-style: $.owner.email, $.items[*].price")
    change = serializers.CharField(
        help_text="added, removed, type_changed, became_nullable, content_type_changed or not_json"
    )
    before = serializers.CharField(allow_null=True)
    after = serializers.CharField(allow_null=True)
    severity = serializers.CharField(default="breaking")


@extend_schema_serializer(component_name="ContractBaseline")
class BaselineOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    source = serializers.CharField(help_text="learned, accepted, json_schema or openapi")
    status = serializers.CharField(help_text="learning, active or superseded")
    samples_seen = serializers.IntegerField(help_text="Responses merged while learning.")
    operation = serializers.CharField(help_text='OpenAPI pins: "GET /orders 200".')
    shape = serializers.JSONField()
    shape_hash = serializers.CharField()
    created_at = serializers.DateTimeField()
    activated_at = serializers.DateTimeField(allow_null=True)
    created_by = serializers.EmailField(source="created_by.email", default=None, allow_null=True)


class DriftEventListApi(APIView):
    """A monitor's drift events, newest first."""

    pagination_class = Pagination

    @extend_schema_serializer(component_name="DriftEvent")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        detected_at = serializers.DateTimeField()
        severity = serializers.CharField(help_text="breaking or additive")
        accepted = serializers.SerializerMethodField(help_text="Whether someone accepted it as the new baseline.")
        accepted_at = serializers.DateTimeField(allow_null=True)
        changes = ChangeSerializer(many=True)
        baseline_version = serializers.IntegerField(source="baseline.version")

        def get_accepted(self, event: DriftEvent) -> bool:
            return event.accepted_at is not None

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request, monitor_id: int) -> Response:
        monitor = monitor_for(request, monitor_id)
        events = drift_event_list_for_monitor(monitor=monitor)
        return paginated_response(view=self, request=request, queryset=events, serializer_class=self.OutputSerializer)


class DriftEventAcceptApi(APIView):
    """Accept an event's shape as the monitor's new baseline (the next version); returns that version."""

    write_permission = Permission.MANAGE_MONITORS

    @extend_schema(request=None, responses=BaselineOutputSerializer)
    def post(self, request: Request, monitor_id: int, event_id: int) -> Response:
        monitor = monitor_for(request, monitor_id)
        event = or_404(drift_event_get_for_monitor(monitor=monitor, event_id=event_id))
        baseline = drift_accept(event=event, actor=actor_for_request(request))
        return Response(BaselineOutputSerializer(baseline).data)


class BaselineListApi(APIView):
    """Every baseline version of a monitor, newest first."""

    pagination_class = Pagination

    @extend_schema(responses=BaselineOutputSerializer(many=True))
    def get(self, request: Request, monitor_id: int) -> Response:
        monitor = monitor_for(request, monitor_id)
        baselines = baseline_list_for_monitor(monitor=monitor)
        return paginated_response(
            view=self, request=request, queryset=baselines, serializer_class=BaselineOutputSerializer
        )


class BaselinePinApi(APIView):
    """Pin the contract to a JSON Schema, or to an OpenAPI 3 operation's response (the next version, active)."""

    write_permission = Permission.MANAGE_MONITORS

    @extend_schema_serializer(component_name="BaselinePin")
    class InputSerializer(serializers.Serializer):
        json_schema = serializers.DictField(required=False, help_text="A JSON Schema (draft 2020-12 or 07).")
        openapi = serializers.DictField(required=False, help_text="An OpenAPI 3.0 or 3.1 document.")
        path = serializers.CharField(required=False, max_length=500, help_text="OpenAPI: /orders")
        method = serializers.CharField(required=False, max_length=10, help_text="OpenAPI: get")
        status = serializers.CharField(required=False, max_length=10, help_text='OpenAPI: "200"')

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if ("json_schema" in attrs) == ("openapi" in attrs):
                raise serializers.ValidationError({"json_schema": "Give either json_schema or openapi."})
            if "openapi" in attrs:
                missing = {name: "Required with openapi." for name in ("path", "method", "status") if name not in attrs}
                if missing:
                    raise serializers.ValidationError(missing)
            return attrs

    @extend_schema(request=InputSerializer, responses={201: BaselineOutputSerializer})
    def post(self, request: Request, monitor_id: int) -> Response:
        monitor = monitor_for(request, monitor_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values, actor = data.validated_data, actor_for_request(request)
        if "json_schema" in values:
            baseline = baseline_pin_json_schema(monitor=monitor, schema=values["json_schema"], actor=actor)
        else:
            baseline = baseline_pin_openapi(
                monitor=monitor,
                document=values["openapi"],
                path=values["path"],
                method=values["method"],
                status=values["status"],
                actor=actor,
            )
        return Response(BaselineOutputSerializer(baseline).data, status=status.HTTP_201_CREATED)


class BaselineRelearnApi(APIView):
    """Start learning the contract again from the next successful responses (the next version)."""

    write_permission = Permission.MANAGE_MONITORS

    @extend_schema(request=None, responses={201: BaselineOutputSerializer})
    def post(self, request: Request, monitor_id: int) -> Response:
        monitor = monitor_for(request, monitor_id)
        baseline = baseline_relearn(monitor=monitor, actor=actor_for_request(request))
        return Response(BaselineOutputSerializer(baseline).data, status=status.HTTP_201_CREATED)


# One URL serves several operations; each stays its own class above (composition rules: core.api).
class BaselineCollectionApi(BaselineListApi, BaselinePinApi):
    """GET (history) and POST (pin) on /monitors/<id>/baselines/."""
