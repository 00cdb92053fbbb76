"""/api/v1/auth/token/… (JWT login and refresh) and /api/v1/api-keys/ (mounted at /api/v1/ by config.urls)."""

from __future__ import annotations

from django.urls import path

from accounts.api import ApiKeyCollectionApi, ApiKeyRevokeApi, TokenLogoutApi, TokenObtainApi, TokenRefreshApi

app_name = "accounts-api"

urlpatterns = [
    path("auth/token/", TokenObtainApi.as_view(), name="token-obtain"),
    path("auth/token/refresh/", TokenRefreshApi.as_view(), name="token-refresh"),
    path("auth/logout/", TokenLogoutApi.as_view(), name="token-logout"),
    path("api-keys/", ApiKeyCollectionApi.as_view(), name="api-key-list"),
    path("api-keys/<int:api_key_id>/", ApiKeyRevokeApi.as_view(), name="api-key-detail"),
]
