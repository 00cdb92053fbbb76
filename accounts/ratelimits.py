"""Rate limits of sign-in, signup and password reset, shared by the web pages and the API (AUTH-04).

Buckets live in the default cache (Redis when REDIS_URL is set, so every web process counts
together) through django-ratelimit's `get_usage`, which also honours RATELIMIT_ENABLE:

- `auth-ip`: every login, signup and token request, and every failed API-key authentication,
  from one client address (core.client_ip: X-Forwarded-For only from TRUSTED_PROXIES). It is
  counted *before* any password check, so one source cannot guess faster than this.
- `login-failed-email`: failed logins for one address, from anywhere. Counted only *after* the
  password check failed, so the real user, typing the right password from an address that is not
  itself over its limit, is never locked out by someone guessing at their account.
- `password-reset-email` / `password-reset-ip`: reset requests for one address (known or not,
  so the answer tells nothing about which addresses exist) and from one client address.

Over a limit, the functions raise `RateLimitExceeded` (django-ratelimit's `Ratelimited`, a
PermissionDenied): core.api.exception_handler and accounts.views_auth.permission_denied turn it
into 429 with Retry-After.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage
from django_ratelimit.decorators import ratelimit
from django_ratelimit.exceptions import Ratelimited

from core.client_ip import client_ip

logger = logging.getLogger(__name__)


class RateLimitExceeded(Ratelimited):
    """A limit was hit; `retry_after_seconds` is when the bucket's window ends."""

    def __init__(self, bucket: str, retry_after_seconds: int) -> None:
        super().__init__(f"Too many requests ({bucket}).")
        self.bucket = bucket
        self.retry_after_seconds = max(1, retry_after_seconds)


def retry_after_seconds(exc: Exception) -> int:
    """The Retry-After value for a Ratelimited (60 s when the raiser did not know its window)."""
    return getattr(exc, "retry_after_seconds", 60)


def _consume(request: HttpRequest, *, bucket: str, value: str, rate: str, increment: bool = True) -> None:
    usage = get_usage(
        request, group=f"accounts.{bucket}", key=lambda _group, _request: value, rate=rate, increment=increment
    )
    if usage is not None and usage["should_limit"]:
        # The value may be an email address: log the bucket only.
        logger.info("rate limit hit bucket=%s", bucket)
        raise RateLimitExceeded(bucket, usage["time_left"])


def _normalized(email: str) -> str:
    return (email or "").strip().lower()


def auth_attempt_from_ip(request: HttpRequest) -> None:
    """Count one login, signup or token attempt from the client's address; raise when over the limit."""
    _consume(request, bucket="auth-ip", value=client_ip(request), rate=settings.ACCOUNTS_AUTH_ATTEMPTS_PER_IP)


def auth_ip_over_limit(request: HttpRequest) -> None:
    """Raise when the client's address is already over its limit, without counting this request."""
    _consume(
        request,
        bucket="auth-ip",
        value=client_ip(request),
        rate=settings.ACCOUNTS_AUTH_ATTEMPTS_PER_IP,
        increment=False,
    )


def login_failure_record(request: HttpRequest, *, email: str) -> None:
    """Count a failed login for `email` (any IP); raise when this failure is over the limit."""
    _consume(
        request,
        bucket="login-failed-email",
        value=_normalized(email),
        rate=settings.ACCOUNTS_LOGIN_FAILURES_PER_EMAIL,
    )


def password_reset_attempt(request: HttpRequest, *, email: str) -> None:
    """Count a reset request for `email` and from the client's address; raise when either is over."""
    _consume(
        request, bucket="password-reset-ip", value=client_ip(request), rate=settings.ACCOUNTS_PASSWORD_RESETS_PER_IP
    )
    if _normalized(email):
        _consume(
            request,
            bucket="password-reset-email",
            value=_normalized(email),
            rate=settings.ACCOUNTS_PASSWORD_RESETS_PER_EMAIL,
        )


# Invitations send email: limited per account and per client address, across the web page and
# the API (same groups), in the shared cache (STYLE R14). Over a limit: 429 with Retry-After.
INVITATIONS_PER_USER = "20/h"
INVITATIONS_PER_IP = "50/h"


def invitation_rate_limit(handler: Callable[..., Any]) -> Callable[..., Any]:
    """django-ratelimit on an invitation POST handler (used with method_decorator)."""
    limited = ratelimit(group="accounts.invitation-user", key="user", rate=INVITATIONS_PER_USER, block=True)(handler)
    return ratelimit(group="accounts.invitation-ip", key="ip", rate=INVITATIONS_PER_IP, block=True)(limited)
