"""HTML pages of the accounts app, mounted at /settings/."""

from __future__ import annotations

from django.urls import path

from accounts import views, views_account

app_name = "accounts"

urlpatterns = [
    path("account/", views_account.AccountView.as_view(), name="account"),
    path("account/delete/", views_account.AccountDeleteView.as_view(), name="account-delete"),
    path("api-keys/", views.ApiKeyListView.as_view(), name="api-key-list"),
    path("api-keys/<int:pk>/revoke/", views.ApiKeyRevokeView.as_view(), name="api-key-revoke"),
]
