"""HTML pages of the accounts app, mounted at /settings/."""

from __future__ import annotations

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("api-keys/", views.ApiKeyListView.as_view(), name="api-key-list"),
    path("api-keys/<int:pk>/revoke/", views.ApiKeyRevokeView.as_view(), name="api-key-revoke"),
]
