"""The only URLconf that knows every app."""

from __future__ import annotations

from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views_account, views_auth
from core import views as core_views

# The admin's own login form would skip the second factor: it sends people to the site's login.
admin.site.login = views_account.admin_login  # type: ignore[method-assign]

api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("monitors.api_urls")),
    path("", include("checks.api_urls")),
    path("", include("alerts.api_urls")),
]

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path(
        "account-deletion/confirm/<str:token>/",
        views_account.AccountDeletionConfirmView.as_view(),
        name="account-deletion-confirm",
    ),
    path(
        "account-deletion/restore/<str:token>/",
        views_account.AccountDeletionRestoreView.as_view(),
        name="account-deletion-restore",
    ),
    # allauth's login, signup and reset pages with the rate limits of accounts.ratelimits; same
    # paths and names, listed first so they answer instead of allauth's own.
    path("accounts/login/", views_auth.LoginView.as_view(), name="account_login"),
    path("accounts/signup/", views_auth.SignupView.as_view(), name="account_signup"),
    path("accounts/password/reset/", views_auth.PasswordResetView.as_view(), name="account_reset_password"),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file, so scripts stay 'self' only; its page
    # has one small inline <style> block, allowed on this page alone.
    path(
        "api/docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="api-docs",
    ),
    path("settings/", include("accounts.urls")),
    path("", include("accounts.urls_organizations")),
    path("", include("alerts.urls")),
    path("", include("checks.urls")),
    path("", include("monitors.urls")),
]

# A Ratelimited (a PermissionDenied) answers 429 with Retry-After instead of 403.
handler403 = "accounts.views_auth.permission_denied"
