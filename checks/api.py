"""REST API of the checks app: a monitor's raw results and its metrics (STYLE R12)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from checks.selectors import RANGES, heartbeat_ping_list_for_monitor, metrics_for_monitor, result_list_for_monitor
from core.api import Pagination, paginated_response
from monitors.api import monitor_for


class ResultListApi(APIView):
    """Raw check results, newest first, optionally within [since, until)."""

    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer):
        since = serializers.DateTimeField(required=False, help_text="ISO 8601; results started at or after it.")
        until = serializers.DateTimeField(required=False, help_text="ISO 8601; results started before it.")

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if "since" in attrs and "until" in attrs and attrs["since"] >= attrs["until"]:
                raise serializers.ValidationError({"until": "Must be later than since."})
            return attrs

    @extend_schema_serializer(component_name="CheckResult")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        due_at = serializers.DateTimeField()
        started_at = serializers.DateTimeField()
        region = serializers.CharField()
        ok = serializers.BooleanField()
        status_code = serializers.IntegerField(allow_null=True)
        latency_ms = serializers.IntegerField(allow_null=True)
        error = serializers.CharField()

    @extend_schema(parameters=[FilterSerializer], responses=OutputSerializer(many=True))
    def get(self, request: Request, monitor_id: int) -> Response:
        monitor = monitor_for(request, monitor_id)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        results = result_list_for_monitor(monitor=monitor, **filters.validated_data)
        return paginated_response(view=self, request=request, queryset=results, serializer_class=self.OutputSerializer)


class MetricsDetailApi(APIView):
    """Uptime % and p50/p95/p99 latency over a range, plus a bucketed series."""

    class FilterSerializer(serializers.Serializer):
        range = serializers.ChoiceField(choices=list(RANGES), default="24h")

    @extend_schema_serializer(component_name="Metrics")
    class OutputSerializer(serializers.Serializer):
        @extend_schema_serializer(component_name="MetricsPoint")
        class SeriesPointSerializer(serializers.Serializer):
            t = serializers.DateTimeField()
            checks = serializers.IntegerField()
            uptime_percent = serializers.FloatField(allow_null=True)
            p95_ms = serializers.IntegerField(allow_null=True)

        range = serializers.CharField()
        checks = serializers.IntegerField()
        uptime_percent = serializers.FloatField(allow_null=True)
        p50_ms = serializers.IntegerField(allow_null=True)
        p95_ms = serializers.IntegerField(allow_null=True)
        p99_ms = serializers.IntegerField(allow_null=True)
        series = SeriesPointSerializer(many=True)

    @extend_schema(parameters=[FilterSerializer], responses=OutputSerializer)
    def get(self, request: Request, monitor_id: int) -> Response:
        monitor = monitor_for(request, monitor_id)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        metrics = metrics_for_monitor(monitor=monitor, range_name=filters.validated_data["range"])
        return Response(self.OutputSerializer(metrics).data)


class HeartbeatPingListApi(APIView):
    """The pings a heartbeat monitor received, newest first (read-only; any member may read)."""

    pagination_class = Pagination

    @extend_schema_serializer(component_name="HeartbeatPing")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        kind = serializers.ChoiceField(choices=["success", "start", "fail"])
        received_at = serializers.DateTimeField()
        method = serializers.CharField()
        remote_addr = serializers.IPAddressField(allow_null=True)
        user_agent = serializers.CharField()
        body = serializers.CharField(help_text="The first CHECKS_PING_BODY_BYTES of the request body.")
        duration_ms = serializers.IntegerField(allow_null=True, help_text="Since the matching /start, if any.")

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request, monitor_id: int) -> Response:
        monitor = monitor_for(request, monitor_id)
        pings = heartbeat_ping_list_for_monitor(monitor=monitor)
        return paginated_response(view=self, request=request, queryset=pings, serializer_class=self.OutputSerializer)
