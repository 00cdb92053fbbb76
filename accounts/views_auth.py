"""allauth's login, signup and password-reset pages with Driftwatch's rate limits (AUTH-04).

Mounted by config.urls on allauth's own paths and names, before `include("allauth.urls")`, so
they answer instead of allauth's. The forms, templates and flows stay allauth's: only POST
counts toward the buckets of accounts.ratelimits.
"""

from __future__ import annotations

from typing import Any

from allauth.account import views as allauth_views
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import defaults
from django_ratelimit.exceptions import Ratelimited

from accounts.ratelimits import auth_attempt_from_ip, password_reset_attempt, retry_after_seconds


class LoginView(allauth_views.LoginView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Before the password is checked: one address cannot guess faster than the limit.
        auth_attempt_from_ip(request)
        return super().post(request, *args, **kwargs)


class SignupView(allauth_views.SignupView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        auth_attempt_from_ip(request)
        return super().post(request, *args, **kwargs)


class PasswordResetView(allauth_views.PasswordResetView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Counted for the address typed, whether or not an account has it: the 4th request in
        # an hour answers 429 either way, so the limit tells nothing about who is registered.
        password_reset_attempt(request, email=str(request.POST.get("email", ""))[:254])
        return super().post(request, *args, **kwargs)


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    """429 page with Retry-After."""
    seconds = retry_after_seconds(exception)
    response = render(request, "429.html", {"retry_after_seconds": seconds}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """config.urls' handler403: a Ratelimited (a PermissionDenied) is a 429, anything else Django's 403."""
    if isinstance(exception, Ratelimited):
        return rate_limited(request, exception)
    return defaults.permission_denied(request, exception or PermissionDenied())
