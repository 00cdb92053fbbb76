"""REST API of the delivery log: every notification of the caller's organisation, and a manual retry."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import organization_for
from accounts.roles import Permission
from alerts.models import Notification
from alerts.selectors_deliveries import notification_get, notification_list_for_organization
from alerts.services import notification_resend
from core.api import Pagination, or_404, paginated_response

RETRYABLE = (Notification.Status.FAILED, Notification.Status.DEAD)


@extend_schema_serializer(component_name="Delivery")
class DeliveryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    channel = serializers.IntegerField(source="channel_id")
    channel_kind = serializers.CharField(source="channel.kind")
    channel_name = serializers.CharField(source="channel.name")
    event = serializers.CharField()
    status = serializers.CharField()
    attempts = serializers.IntegerField()
    message_id = serializers.CharField(help_text="The webhook-id: the same on every attempt and on a retry.")
    last_error = serializers.CharField()
    monitor = serializers.IntegerField(source="monitor_id", allow_null=True)
    incident = serializers.IntegerField(source="incident_id", allow_null=True)
    digest = serializers.IntegerField(source="digest_id", allow_null=True)
    created_at = serializers.DateTimeField()
    next_attempt_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)


class DeliveryListApi(APIView):
    # Read only: no write_permission, so OrganizationPermission refuses every write.
    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=Notification.Status.choices, required=False)
        channel = serializers.IntegerField(required=False, min_value=1)

    @extend_schema(
        operation_id="deliveries_list",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=Notification.Status.values),
            OpenApiParameter("channel", OpenApiTypes.INT, description="Only this channel's deliveries."),
        ],
        responses=DeliveryOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows = notification_list_for_organization(
            organization=organization_for(request),
            status=filters.validated_data.get("status"),
            channel_id=filters.validated_data.get("channel"),
        )
        return paginated_response(view=self, request=request, queryset=rows, serializer_class=DeliveryOutputSerializer)


class DeliveryRetryApi(APIView):
    write_permission = Permission.MANAGE_CHANNELS

    @extend_schema(operation_id="deliveries_retry", request=None, responses=DeliveryOutputSerializer)
    def post(self, request: Request, notification_id: int) -> Response:
        """Send a failed or dead delivery once more, with the same webhook-id; anything else is 400."""
        notification = or_404(notification_get(organization=organization_for(request), notification_id=notification_id))
        if notification.status not in RETRYABLE:
            raise serializers.ValidationError(
                {"status": [f"Only a failed or dead delivery can be retried, not {notification.status}."]}
            )
        notification = notification_resend(notification=notification)
        return Response(DeliveryOutputSerializer(notification).data)
