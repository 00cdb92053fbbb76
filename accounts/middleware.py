"""MFA enforcement for the HTML pages: organisations that require it, and staff in the admin."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from accounts.mfa import organization_mfa_missing, staff_mfa_missing

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse

# Pages a user without MFA must still reach: allauth's (login, logout, reauthentication and the
# 2FA setup itself), their own account page, the organisation switch (to act for another
# organisation they belong to, whose own rule then applies), static files and the probes. The
# API is enforced by accounts.permissions.MfaSatisfied, because DRF authenticates JWTs inside the view.
EXEMPT_PREFIXES = (
    "/accounts/",
    "/settings/account/",
    "/organizations/switch/",
    "/static/",
    "/healthz",
    "/readyz",
    "/api/",
)


class MfaRequiredMiddleware:
    """Send a user without an authenticator app to its setup page when MFA is required of them.

    Required when the organisation the request acts for has `require_mfa`, and for staff on
    the admin when ACCOUNTS_STAFF_REQUIRE_MFA is on.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(EXEMPT_PREFIXES) and request.user.is_authenticated:
            if request.path.startswith(reverse("admin:index")):
                if staff_mfa_missing(request=request):
                    messages.warning(request, "Staff need an authenticator app to use the admin. Set one up first.")
                    return redirect("mfa_activate_totp")
            elif organization_mfa_missing(request=request):
                messages.warning(
                    request, "Your organisation requires two-factor authentication. Set up an authenticator app."
                )
                return redirect("mfa_activate_totp")
        return self.get_response(request)
