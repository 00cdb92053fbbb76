"""The only URLconf that knows every app."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views_account
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
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: no inline script, so the CSP holds.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("settings/", include("accounts.urls")),
    path("", include("alerts.urls")),
    path("", include("monitors.urls")),
]
