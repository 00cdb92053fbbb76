"""/api/v1/auth/: JWT login and refresh. (API keys live in monitors.api_urls, see there.)"""

from __future__ import annotations

from django.urls import path

from accounts.api import TokenObtainApi, TokenRefreshApi

app_name = "accounts-api"

urlpatterns = [
    path("token/", TokenObtainApi.as_view(), name="token-obtain"),
    path("token/refresh/", TokenRefreshApi.as_view(), name="token-refresh"),
]
