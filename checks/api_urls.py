"""A monitor's results, metrics, pings, drift events and baselines (mounted at /api/v1/ by config.urls)."""

from __future__ import annotations

from django.urls import path

from checks.api import HeartbeatPingListApi, MetricsDetailApi, ResultListApi
from checks.api_drift import BaselineCollectionApi, BaselineRelearnApi, DriftEventAcceptApi, DriftEventListApi

app_name = "checks-api"

urlpatterns = [
    path("monitors/<int:monitor_id>/results/", ResultListApi.as_view(), name="result-list"),
    path("monitors/<int:monitor_id>/metrics/", MetricsDetailApi.as_view(), name="metrics-detail"),
    path("monitors/<int:monitor_id>/pings/", HeartbeatPingListApi.as_view(), name="heartbeat-ping-list"),
    path("monitors/<int:monitor_id>/drift-events/", DriftEventListApi.as_view(), name="drift-event-list"),
    path(
        "monitors/<int:monitor_id>/drift-events/<int:event_id>/accept/",
        DriftEventAcceptApi.as_view(),
        name="drift-event-accept",
    ),
    path("monitors/<int:monitor_id>/baselines/", BaselineCollectionApi.as_view(), name="baseline-list"),
    path("monitors/<int:monitor_id>/baselines/relearn/", BaselineRelearnApi.as_view(), name="baseline-relearn"),
]
