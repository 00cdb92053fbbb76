"""REST API of the monitors app: /api/v1/monitors/ (STYLE R12: one APIView per operation)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import organization_for
from accounts.roles import Permission
from accounts.services import actor_for_request
from core.api import Pagination, or_404, paginated_response
from monitors.api.serializers import MonitorInputSerializer, MonitorOutputSerializer
from monitors.models import Monitor
from monitors.selectors import monitor_get, monitor_list_for_organization
from monitors.services import monitor_create, monitor_delete, monitor_update


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
        """Create a monitor of any kind; its first check is due at once (a heartbeat waits for pings)."""
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
        """Replace a monitor: omitted fields go back to their defaults (a stored auth secret stays)."""
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
