"""REST API of the alerts app: channels, scoped to the caller's organisation (incidents: alerts.api_incidents)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import organization_for
from accounts.roles import Permission
from accounts.selectors import request_can
from accounts.services import actor_for_request
from alerts.channels import public_config, redact_target
from alerts.models import Channel
from alerts.selectors import channel_get, channel_list_for_organization
from alerts.services import channel_create, channel_delete, channel_send_test, channel_update
from core.api import Pagination, or_404, paginated_response


def channel_for(request: Request, channel_id: int) -> Channel:
    """The caller's organisation's channel; another organisation's id is 404, like a missing one."""
    return or_404(channel_get(organization=organization_for(request), channel_id=channel_id))


# A channel looks the same in every response, so its output serializer is shared (one schema
# component) instead of nested copies with clashing component names.
@extend_schema_serializer(component_name="Channel")
class ChannelOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()
    target = serializers.CharField()
    disabled = serializers.BooleanField()
    last_error = serializers.CharField()
    created_at = serializers.DateTimeField()
    config = serializers.SerializerMethodField(help_text="Options of the kind besides the target: Telegram's chat_id.")

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_config(self, channel: Channel) -> dict[str, object]:
        return public_config(channel.config)


class RedactedChannelOutputSerializer(ChannelOutputSerializer):
    """For callers who may not manage channels: URL tokens hidden (WH-08)."""

    target = serializers.SerializerMethodField()

    def get_target(self, channel: Channel) -> str:
        return redact_target(channel)


def channel_output_class(request: Request) -> type[ChannelOutputSerializer]:
    """The whole target for those who manage channels; others see it redacted."""
    if request_can(request=request, permission=Permission.MANAGE_CHANNELS):
        return ChannelOutputSerializer
    return RedactedChannelOutputSerializer


class ChannelListApi(APIView):
    pagination_class = Pagination

    @extend_schema(operation_id="channels_list", responses=ChannelOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        channels = channel_list_for_organization(organization=organization_for(request))
        return paginated_response(
            view=self, request=request, queryset=channels, serializer_class=channel_output_class(request)
        )


class ChannelCreateApi(APIView):
    write_permission = Permission.MANAGE_CHANNELS

    @extend_schema_serializer(component_name="ChannelCreateInput")
    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=Channel.Kind.choices)
        name = serializers.CharField(max_length=100)
        target = serializers.CharField(max_length=2048)
        secret = serializers.CharField(max_length=128, required=False, allow_blank=True, write_only=True)
        config = serializers.DictField(required=False, help_text='Telegram: {"chat_id": "…"}.')

    @extend_schema_serializer(component_name="ChannelCreated")
    class OutputSerializer(ChannelOutputSerializer):
        secret = serializers.CharField(required=False, help_text="Webhooks only; shown in this response only.")

    @extend_schema(operation_id="channels_create", request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        channel = channel_create(
            organization=organization_for(request), actor=actor_for_request(request), **data.validated_data
        )
        body = self.OutputSerializer(channel).data
        if channel.kind != Channel.Kind.WEBHOOK:
            body.pop("secret", None)
        return Response(body, status=status.HTTP_201_CREATED)


class ChannelDetailApi(APIView):
    @extend_schema(operation_id="channels_retrieve", responses=ChannelOutputSerializer)
    def get(self, request: Request, channel_id: int) -> Response:
        return Response(channel_output_class(request)(channel_for(request, channel_id)).data)


class ChannelUpdateApi(APIView):
    write_permission = Permission.MANAGE_CHANNELS

    @extend_schema_serializer(component_name="ChannelUpdateInput")
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100, required=False)
        target = serializers.CharField(max_length=2048, required=False)
        secret = serializers.CharField(max_length=128, required=False, write_only=True)
        config = serializers.DictField(required=False)
        disabled = serializers.BooleanField(required=False)
        kind = serializers.CharField(required=False, help_text="Cannot change; must equal the current kind.")

    @extend_schema(operation_id="channels_partial_update", request=InputSerializer, responses=ChannelOutputSerializer)
    def patch(self, request: Request, channel_id: int) -> Response:
        channel = channel_for(request, channel_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if fields.pop("kind", channel.kind) != channel.kind:
            raise serializers.ValidationError({"kind": ["The kind of a channel cannot change."]})
        channel = channel_update(channel=channel, actor=actor_for_request(request), **fields)
        return Response(ChannelOutputSerializer(channel).data)


class ChannelDeleteApi(APIView):
    write_permission = Permission.MANAGE_CHANNELS

    @extend_schema(operation_id="channels_destroy", responses={204: None})
    def delete(self, request: Request, channel_id: int) -> Response:
        channel_delete(channel=channel_for(request, channel_id), actor=actor_for_request(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChannelTestApi(APIView):
    write_permission = Permission.MANAGE_CHANNELS

    @extend_schema_serializer(component_name="ChannelTestResult")
    class OutputSerializer(serializers.Serializer):
        ok = serializers.BooleanField()
        error = serializers.CharField()

    @extend_schema(operation_id="channels_test", request=None, responses=OutputSerializer)
    def post(self, request: Request, channel_id: int) -> Response:
        """Send a test message now; `ok` false and `error` say why when the channel did not take it."""
        result = channel_send_test(channel=channel_for(request, channel_id))
        return Response(self.OutputSerializer(result).data)


# One URL serves several operations; each stays its own class above (composition rules: core.api).
# No docstrings here: drf-spectacular would show one as the description of every operation
# that has none of its own.
class ChannelCollectionApi(ChannelListApi, ChannelCreateApi):
    pass


class ChannelItemApi(ChannelDetailApi, ChannelUpdateApi, ChannelDeleteApi):
    pass
