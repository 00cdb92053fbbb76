"""REST API of maintenance windows: /api/v1/maintenance-windows/ (STYLE R12: one APIView per operation)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import organization_for
from accounts.roles import Permission
from accounts.services import actor_for_request
from core.api import Pagination, or_404, paginated_response
from monitors.maintenance import MAX_DURATION_MINUTES, window_active
from monitors.models import MaintenanceWindow, Monitor
from monitors.selectors import maintenance_window_get, maintenance_window_list_for_organization, monitor_get
from monitors.services_maintenance import (
    maintenance_window_create,
    maintenance_window_delete,
    maintenance_window_update,
)


def maintenance_window_for(request: Request, maintenance_window_id: int) -> MaintenanceWindow:
    """The caller's organisation's window; another organisation's id is 404, like a missing one."""
    return or_404(
        maintenance_window_get(organization=organization_for(request), maintenance_window_id=maintenance_window_id)
    )


@extend_schema_serializer(component_name="MaintenanceWindow")
class MaintenanceWindowOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    monitor = serializers.IntegerField(source="monitor_id", allow_null=True, help_text="Empty: every monitor.")
    recurrence = serializers.ChoiceField(choices=MaintenanceWindow.Recurrence.choices)
    starts_at = serializers.DateTimeField(allow_null=True)
    ends_at = serializers.DateTimeField(allow_null=True)
    weekdays = serializers.ListField(child=serializers.IntegerField(), help_text="0 = Monday … 6 = Sunday.")
    start_time = serializers.TimeField(allow_null=True)
    cron = serializers.CharField()
    duration_minutes = serializers.IntegerField()
    time_zone = serializers.CharField()
    active = serializers.SerializerMethodField(help_text="Whether the window is in force now.")
    created_at = serializers.DateTimeField()

    def get_active(self, window: MaintenanceWindow) -> bool:
        return window_active(window, timezone.now())


class _WindowInput(serializers.Serializer):
    """Fields of a window; the rules that span fields are the service's (maintenance_window_validate)."""

    name = serializers.CharField(max_length=100)
    monitor = serializers.IntegerField(
        required=False, allow_null=True, help_text="A monitor of your organisation; empty: every monitor."
    )
    recurrence = serializers.ChoiceField(choices=MaintenanceWindow.Recurrence.choices)
    starts_at = serializers.DateTimeField(required=False, allow_null=True, help_text="once: ISO 8601.")
    ends_at = serializers.DateTimeField(required=False, allow_null=True, help_text="once: after starts_at.")
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), required=False, max_length=7
    )
    start_time = serializers.TimeField(required=False, allow_null=True, help_text="weekly: HH:MM in time_zone.")
    cron = serializers.CharField(max_length=100, required=False, allow_blank=True)
    duration_minutes = serializers.IntegerField(min_value=1, max_value=MAX_DURATION_MINUTES, required=False)
    time_zone = serializers.CharField(max_length=64, required=False, help_text="IANA name; default UTC.")


def _resolve_monitor(request: Request, fields: dict[str, Any]) -> None:
    """Swap a monitor id for the caller's organisation's monitor; another organisation's id is a 400 (TEN-03)."""
    if "monitor" not in fields or fields["monitor"] is None:
        return
    monitor: Monitor | None = monitor_get(organization=organization_for(request), monitor_id=fields["monitor"])
    if monitor is None:
        raise serializers.ValidationError({"monitor": ["No such monitor."]})
    fields["monitor"] = monitor


class MaintenanceWindowListApi(APIView):
    pagination_class = Pagination

    @extend_schema(operation_id="maintenance_windows_list", responses=MaintenanceWindowOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        """The organisation's maintenance windows, by name."""
        windows = maintenance_window_list_for_organization(organization=organization_for(request))
        return paginated_response(
            view=self, request=request, queryset=windows, serializer_class=MaintenanceWindowOutputSerializer
        )


class MaintenanceWindowCreateApi(APIView):
    write_permission = Permission.MANAGE_MONITORS

    @extend_schema_serializer(component_name="MaintenanceWindowCreateInput")
    class InputSerializer(_WindowInput):
        pass

    @extend_schema(
        operation_id="maintenance_windows_create",
        request=InputSerializer,
        responses={201: MaintenanceWindowOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        """A window for one monitor, or for every monitor of the organisation (monitor empty)."""
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        _resolve_monitor(request, fields)
        window = maintenance_window_create(
            organization=organization_for(request), actor=actor_for_request(request), **fields
        )
        return Response(MaintenanceWindowOutputSerializer(window).data, status=status.HTTP_201_CREATED)


class MaintenanceWindowDetailApi(APIView):
    @extend_schema(operation_id="maintenance_windows_retrieve", responses=MaintenanceWindowOutputSerializer)
    def get(self, request: Request, maintenance_window_id: int) -> Response:
        window = maintenance_window_for(request, maintenance_window_id)
        return Response(MaintenanceWindowOutputSerializer(window).data)


class MaintenanceWindowUpdateApi(APIView):
    write_permission = Permission.MANAGE_MONITORS

    @extend_schema_serializer(component_name="MaintenanceWindowUpdateInput")
    class UpdateInputSerializer(_WindowInput):
        name = serializers.CharField(max_length=100, required=False)
        recurrence = serializers.ChoiceField(choices=MaintenanceWindow.Recurrence.choices, required=False)

    @extend_schema(
        operation_id="maintenance_windows_partial_update",
        request=UpdateInputSerializer,
        responses=MaintenanceWindowOutputSerializer,
    )
    def patch(self, request: Request, maintenance_window_id: int) -> Response:
        window = maintenance_window_for(request, maintenance_window_id)
        data = self.UpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        _resolve_monitor(request, fields)
        window = maintenance_window_update(window=window, actor=actor_for_request(request), **fields)
        return Response(MaintenanceWindowOutputSerializer(window).data)


class MaintenanceWindowDeleteApi(APIView):
    write_permission = Permission.MANAGE_MONITORS

    @extend_schema(operation_id="maintenance_windows_destroy", responses={204: None})
    def delete(self, request: Request, maintenance_window_id: int) -> Response:
        window = maintenance_window_for(request, maintenance_window_id)
        maintenance_window_delete(window=window, actor=actor_for_request(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# One URL serves several operations; each stays its own class above (composition rules: core.api).
class MaintenanceWindowCollectionApi(MaintenanceWindowListApi, MaintenanceWindowCreateApi):
    pass


class MaintenanceWindowItemApi(MaintenanceWindowDetailApi, MaintenanceWindowUpdateApi, MaintenanceWindowDeleteApi):
    pass
