"""API routes of the alerts app, mounted under /api/v1/ by config/urls.py."""

from __future__ import annotations

from django.urls import path

from alerts import api

app_name = "alerts-api"

urlpatterns = [
    path("channels/", api.ChannelCollectionApi.as_view(), name="channel-list"),
    path("channels/<int:channel_id>/", api.ChannelItemApi.as_view(), name="channel-detail"),
    path("channels/<int:channel_id>/test/", api.ChannelTestApi.as_view(), name="channel-test"),
    path("incidents/", api.IncidentListApi.as_view(), name="incident-list"),
    path("incidents/<int:incident_id>/", api.IncidentDetailApi.as_view(), name="incident-detail"),
]
