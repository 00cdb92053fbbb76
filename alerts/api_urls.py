"""API routes of the alerts app, mounted under /api/v1/ by config/urls.py."""

from __future__ import annotations

from django.urls import path

from alerts import api, api_deliveries, api_incidents, api_rules

app_name = "alerts-api"

urlpatterns = [
    path("channels/", api.ChannelCollectionApi.as_view(), name="channel-list"),
    path("channels/<int:channel_id>/", api.ChannelItemApi.as_view(), name="channel-detail"),
    path("channels/<int:channel_id>/test/", api.ChannelTestApi.as_view(), name="channel-test"),
    path("deliveries/", api_deliveries.DeliveryListApi.as_view(), name="delivery-list"),
    path("deliveries/<int:notification_id>/retry/", api_deliveries.DeliveryRetryApi.as_view(), name="delivery-retry"),
    path("incidents/", api_incidents.IncidentListApi.as_view(), name="incident-list"),
    path("incidents/<int:incident_id>/", api_incidents.IncidentDetailApi.as_view(), name="incident-detail"),
    path(
        "incidents/<int:incident_id>/acknowledge/",
        api_incidents.IncidentAcknowledgeApi.as_view(),
        name="incident-acknowledge",
    ),
    path("incidents/<int:incident_id>/comments/", api_incidents.IncidentCommentApi.as_view(), name="incident-comment"),
    path("incidents/<int:incident_id>/resolve/", api_incidents.IncidentResolveApi.as_view(), name="incident-resolve"),
    path("alert-rules/", api_rules.AlertRuleCollectionApi.as_view(), name="alert-rule-list"),
    path("alert-rules/<int:rule_id>/", api_rules.AlertRuleItemApi.as_view(), name="alert-rule-detail"),
]
