"""/api/v1/monitors/<id>/results/, /metrics/ and /pings/ (mounted at /api/v1/ by config.urls)."""

from __future__ import annotations

from django.urls import path

from checks.api import HeartbeatPingListApi, MetricsDetailApi, ResultListApi

app_name = "checks-api"

urlpatterns = [
    path("monitors/<int:monitor_id>/results/", ResultListApi.as_view(), name="result-list"),
    path("monitors/<int:monitor_id>/metrics/", MetricsDetailApi.as_view(), name="metrics-detail"),
    path("monitors/<int:monitor_id>/pings/", HeartbeatPingListApi.as_view(), name="heartbeat-ping-list"),
]
