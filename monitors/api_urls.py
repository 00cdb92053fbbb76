"""/api/v1/monitors/ and /api/v1/maintenance-windows/ (mounted at /api/v1/ by config.urls)."""

from __future__ import annotations

from django.urls import path

from monitors.api import MonitorCollectionApi, MonitorItemApi
from monitors.api_maintenance import MaintenanceWindowCollectionApi, MaintenanceWindowItemApi

app_name = "monitors-api"

urlpatterns = [
    path("monitors/", MonitorCollectionApi.as_view(), name="monitor-list"),
    path("monitors/<int:monitor_id>/", MonitorItemApi.as_view(), name="monitor-detail"),
    path("maintenance-windows/", MaintenanceWindowCollectionApi.as_view(), name="maintenance-window-list"),
    path(
        "maintenance-windows/<int:maintenance_window_id>/",
        MaintenanceWindowItemApi.as_view(),
        name="maintenance-window-detail",
    ),
]
