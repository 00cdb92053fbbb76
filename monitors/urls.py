"""HTML pages of the monitors app (mounted at the site root by config/urls.py)."""

from __future__ import annotations

from django.urls import path

from monitors import views, views_maintenance

app_name = "monitors"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("monitors/new/", views.MonitorCreateView.as_view(), name="monitor-create"),
    path("monitors/<int:pk>/", views.MonitorDetailView.as_view(), name="monitor-detail"),
    path("monitors/<int:pk>/edit/", views.MonitorEditView.as_view(), name="monitor-edit"),
    path("monitors/<int:pk>/delete/", views.MonitorDeleteView.as_view(), name="monitor-delete"),
    path("maintenance/", views_maintenance.MaintenanceWindowListView.as_view(), name="maintenance-window-list"),
    path(
        "maintenance/<int:maintenance_window_id>/edit/",
        views_maintenance.MaintenanceWindowEditView.as_view(),
        name="maintenance-window-edit",
    ),
    path(
        "maintenance/<int:maintenance_window_id>/delete/",
        views_maintenance.MaintenanceWindowDeleteView.as_view(),
        name="maintenance-window-delete",
    ),
]
