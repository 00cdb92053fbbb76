"""REST API of the monitors app: /api/v1/monitors/ (STYLE R12: one APIView per operation)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import organization_for
from accounts.roles import Permission
from accounts.services import actor_for_request
from core.api import Pagination, or_404, paginated_response
from monitors.models import Monitor, default_regions
from monitors.selectors import monitor_get, monitor_list_for_organization
from monitors.services import monitor_create, monitor_delete, monitor_update
from monitors.validators import (
    validate_expected_status,
    validate_headers,
    validate_interval,
    validate_monitor_url,
    validate_regions,
    validate_timeout,
    validate_timeout_within_interval,
)

# Every kind API.md names; only these are implemented so far.
KINDS = ("http", "tcp", "ping", "dns", "tls", "heartbeat")
SUPPORTED_KINDS = {Monitor.Kind.HTTP}
MAX_BODY_CHARS = 64 * 1024


# JSON-typed fields: the value is checked by the shared validator as it arrived, so a
# string "200" or a number header value is an error rather than silently coerced.
@extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
class HeadersField(serializers.JSONField):
    pass


@extend_schema_field({"type": "array", "items": {"type": "integer", "minimum": 100, "maximum": 599}})
class StatusCodesField(serializers.JSONField):
    pass


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class RegionsField(serializers.JSONField):
    pass


def validate_kind(kind: str) -> None:
    if kind not in SUPPORTED_KINDS:
        raise DjangoValidationError(f"Monitors of kind {kind!r} are not supported yet.", code="not_supported")


@extend_schema_serializer(component_name="Monitor")
class MonitorOutputSerializer(serializers.Serializer):
    """A monitor as API.md shows it, plus created_at."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    url = serializers.CharField()
    method = serializers.CharField()
    headers = serializers.DictField(child=serializers.CharField())
    body = serializers.CharField()
    expected_status = serializers.ListField(child=serializers.IntegerField())
    keyword = serializers.CharField()
    interval_seconds = serializers.IntegerField()
    timeout_seconds = serializers.IntegerField()
    regions = serializers.ListField(child=serializers.CharField())
    paused = serializers.BooleanField()
    track_contract = serializers.BooleanField()
    state = serializers.CharField(source="display_state")
    last_checked_at = serializers.DateTimeField(allow_null=True)
    last_latency_ms = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="MonitorInput")
class MonitorInputSerializer(serializers.Serializer):
    """A monitor to create (POST) or replace (PUT); PATCH takes any subset. Unknown fields are ignored."""

    # For a PATCH, the timeout-below-interval rule reads the stored value of the one it omits
    # from context["monitor"].

    name = serializers.CharField(max_length=100)
    url = serializers.URLField(max_length=2048)
    kind = serializers.ChoiceField(choices=KINDS, default=Monitor.Kind.HTTP, validators=[validate_kind])
    method = serializers.ChoiceField(choices=Monitor.Method.choices, default=Monitor.Method.GET)
    headers = HeadersField(default=dict, validators=[validate_headers])
    body = serializers.CharField(allow_blank=True, default="", trim_whitespace=False, max_length=MAX_BODY_CHARS)
    expected_status = StatusCodesField(default=lambda: [200], validators=[validate_expected_status])
    keyword = serializers.CharField(allow_blank=True, default="", trim_whitespace=False, max_length=200)
    interval_seconds = serializers.IntegerField(default=60, validators=[validate_interval])
    timeout_seconds = serializers.IntegerField(default=10, validators=[validate_timeout])
    regions = RegionsField(default=default_regions, validators=[validate_regions])
    paused = serializers.BooleanField(default=False)
    track_contract = serializers.BooleanField(default=False)

    def validate_url(self, url: str) -> str:
        # Only after the cheap syntax checks pass: the network guard may resolve the name.
        validate_monitor_url(url)
        return url

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        stored: Monitor | None = self.context.get("monitor")
        current = {
            name: attrs.get(name, getattr(stored, name, None)) for name in ("timeout_seconds", "interval_seconds")
        }
        if None not in current.values():
            try:
                validate_timeout_within_interval(**current)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.message_dict) from exc
        attrs.pop("kind", None)  # only "http" gets this far, and it is the model's default
        return attrs


def monitor_for(request: Request, monitor_id: int) -> Monitor:
    """The caller's organisation's monitor; another organisation's id is 404, like a missing one."""
    return or_404(monitor_get(organization=organization_for(request), monitor_id=monitor_id))


class MonitorListApi(APIView):
    pagination_class = Pagination

    @extend_schema(responses=MonitorOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        """The organisation's monitors, by name."""
        monitors = monitor_list_for_organization(organization=organization_for(request))
        return paginated_response(
            view=self, request=request, queryset=monitors, serializer_class=MonitorOutputSerializer
        )


class MonitorCreateApi(APIView):
    write_permission = Permission.MANAGE_MONITORS
    InputSerializer = MonitorInputSerializer

    @extend_schema(request=MonitorInputSerializer, responses={201: MonitorOutputSerializer})
    def post(self, request: Request) -> Response:
        """Create an HTTP monitor; its first check is due at once."""
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        monitor = monitor_create(
            organization=organization_for(request), actor=actor_for_request(request), **data.validated_data
        )
        return Response(MonitorOutputSerializer(monitor).data, status=status.HTTP_201_CREATED)


class MonitorDetailApi(APIView):
    @extend_schema(responses=MonitorOutputSerializer)
    def get(self, request: Request, monitor_id: int) -> Response:
        """One monitor."""
        return Response(MonitorOutputSerializer(monitor_for(request, monitor_id)).data)


class MonitorUpdateApi(APIView):
    # The monitor is looked up before the body is validated, so another organisation's id is
    # 404 whatever the body holds.

    write_permission = Permission.MANAGE_MONITORS
    InputSerializer = MonitorInputSerializer

    @extend_schema(request=MonitorInputSerializer, responses=MonitorOutputSerializer)
    def put(self, request: Request, monitor_id: int) -> Response:
        """Replace a monitor: omitted fields go back to their defaults."""
        return self._update(request, monitor_id, partial=False)

    @extend_schema(request=MonitorInputSerializer, responses=MonitorOutputSerializer)
    def patch(self, request: Request, monitor_id: int) -> Response:
        """Change the fields given. Resuming a paused monitor makes it pending and due at once."""
        return self._update(request, monitor_id, partial=True)

    def _update(self, request: Request, monitor_id: int, *, partial: bool) -> Response:
        monitor = monitor_for(request, monitor_id)
        data = self.InputSerializer(data=request.data, partial=partial, context={"monitor": monitor})
        data.is_valid(raise_exception=True)
        monitor = monitor_update(monitor=monitor, actor=actor_for_request(request), **data.validated_data)
        return Response(MonitorOutputSerializer(monitor).data)


class MonitorDeleteApi(APIView):
    write_permission = Permission.MANAGE_MONITORS

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, monitor_id: int) -> Response:
        """Delete a monitor and everything recorded for it."""
        monitor_delete(monitor=monitor_for(request, monitor_id), actor=actor_for_request(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# One URL serves several operations; each stays its own class above (composition rules: core.api).
class MonitorCollectionApi(MonitorListApi, MonitorCreateApi):
    """GET (list) and POST (create) on /monitors/."""


class MonitorItemApi(MonitorDetailApi, MonitorUpdateApi, MonitorDeleteApi):
    """GET, PUT, PATCH and DELETE on /monitors/<id>/."""
