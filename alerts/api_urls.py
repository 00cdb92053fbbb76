"""API routes of the alerts app, mounted under /api/v1/ by config/urls.py."""

from __future__ import annotations

from django.urls import path

from alerts import api
from alerts.api_routing import api_route

app_name = "alerts-api"

urlpatterns = [
    path("channels/", api_route(get=api.ChannelListApi, post=api.ChannelCreateApi), name="channel-list"),
    path(
        "channels/<int:channel_id>/",
        api_route(get=api.ChannelDetailApi, patch=api.ChannelUpdateApi, delete=api.ChannelDeleteApi),
        name="channel-detail",
    ),
    path("channels/<int:channel_id>/test/", api.ChannelTestApi.as_view(), name="channel-test"),
    path("incidents/", api.IncidentListApi.as_view(), name="incident-list"),
    path("incidents/<int:incident_id>/", api.IncidentDetailApi.as_view(), name="incident-detail"),
]
