"""Only the alerts API, for the schema test."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [path("api/v1/", include("alerts.api_urls"))]
