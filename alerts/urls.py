"""Web pages of the alerts app, mounted at the site root by config/urls.py."""

from __future__ import annotations

from django.urls import path

from alerts import views, views_deliveries, views_incidents, views_preferences, views_rules

app_name = "alerts"

urlpatterns = [
    path("channels/", views.ChannelListView.as_view(), name="channel-list"),
    path("channels/new/", views.ChannelCreateView.as_view(), name="channel-create"),
    path("channels/<int:channel_id>/delete/", views.ChannelDeleteView.as_view(), name="channel-delete"),
    path("channels/<int:channel_id>/test/", views.ChannelTestView.as_view(), name="channel-test"),
    path("alerts/deliveries/", views_deliveries.DeliveryListView.as_view(), name="delivery-list"),
    path(
        "alerts/deliveries/<int:notification_id>/retry/",
        views_deliveries.DeliveryRetryView.as_view(),
        name="delivery-retry",
    ),
    path("alerts/rules/", views_rules.RuleListView.as_view(), name="rule-list"),
    path("alerts/rules/new/", views_rules.RuleCreateView.as_view(), name="rule-create"),
    path("alerts/rules/<int:rule_id>/edit/", views_rules.RuleEditView.as_view(), name="rule-edit"),
    path("alerts/rules/<int:rule_id>/delete/", views_rules.RuleDeleteView.as_view(), name="rule-delete"),
    path("incidents/", views_incidents.IncidentListView.as_view(), name="incident-list"),
    path("incidents/<int:incident_id>/", views_incidents.IncidentDetailView.as_view(), name="incident-detail"),
    path(
        "incidents/<int:incident_id>/acknowledge/",
        views_incidents.IncidentAcknowledgeView.as_view(),
        name="incident-acknowledge",
    ),
    path(
        "incidents/<int:incident_id>/comment/", views_incidents.IncidentCommentView.as_view(), name="incident-comment"
    ),
    path(
        "incidents/<int:incident_id>/resolve/", views_incidents.IncidentResolveView.as_view(), name="incident-resolve"
    ),
    path("alerts/preferences/", views_preferences.EmailPreferencesView.as_view(), name="email-preferences"),
    path("alerts/unsubscribe/<str:token>/", views_preferences.UnsubscribeView.as_view(), name="unsubscribe"),
]
