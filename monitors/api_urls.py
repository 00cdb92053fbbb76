"""/api/v1/monitors/ (mounted at /api/v1/ by config.urls)."""

from __future__ import annotations

from django.urls import path

from monitors.api import MonitorCollectionApi, MonitorItemApi

app_name = "monitors-api"

urlpatterns = [
    path("monitors/", MonitorCollectionApi.as_view(), name="monitor-list"),
    path("monitors/<int:monitor_id>/", MonitorItemApi.as_view(), name="monitor-detail"),
]
