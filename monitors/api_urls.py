"""/api/v1/monitors/ and, for now, /api/v1/api-keys/ (mounted at /api/v1/ by config.urls)."""

from __future__ import annotations

from django.urls import path

from accounts.api import ApiKeyCollectionApi, ApiKeyRevokeApi
from monitors.api import MonitorCollectionApi, MonitorItemApi

app_name = "monitors-api"

urlpatterns = [
    path("monitors/", MonitorCollectionApi.as_view(), name="monitor-list"),
    path("monitors/<int:monitor_id>/", MonitorItemApi.as_view(), name="monitor-detail"),
    # API.md puts keys at /api/v1/api-keys/, but config.urls mounts accounts.api_urls under
    # /api/v1/auth/. Until it mounts accounts at /api/v1/ too, the key routes live here
    # (monitors may import accounts; the views stay in accounts.api).
    path("api-keys/", ApiKeyCollectionApi.as_view(), name="api-key-list"),
    path("api-keys/<int:api_key_id>/", ApiKeyRevokeApi.as_view(), name="api-key-detail"),
]
