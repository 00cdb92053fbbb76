"""/api/v1/monitors/<id>/results/ and /metrics/ (mounted at /api/v1/ by config.urls)."""

from __future__ import annotations

from django.urls import path

from checks.api import MetricsDetailApi, ResultListApi

app_name = "checks-api"

urlpatterns = [
    path("monitors/<int:monitor_id>/results/", ResultListApi.as_view(), name="result-list"),
    path("monitors/<int:monitor_id>/metrics/", MetricsDetailApi.as_view(), name="metrics-detail"),
]
