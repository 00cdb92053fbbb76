"""Who must have a second factor, and who has one (allauth.mfa's authenticators)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from accounts.selectors import organization_get_for_request

if TYPE_CHECKING:
    from django.http import HttpRequest

    from accounts.models import User

_CACHE_ATTRIBUTE = "_driftwatch_has_totp"


def user_has_totp(*, user: User) -> bool:
    """True when the user has an active authenticator app (recovery codes alone do not count)."""
    from allauth.mfa.models import Authenticator  # noqa: PLC0415 - allauth models load after apps

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def _request_user_has_totp(request: HttpRequest) -> bool:
    holder = getattr(request, "_request", request)  # DRF's Request wraps Django's
    cached = getattr(holder, _CACHE_ATTRIBUTE, None)
    if cached is None or cached[0] != request.user.pk:
        cached = (request.user.pk, user_has_totp(user=request.user))  # type: ignore[arg-type]
        setattr(holder, _CACHE_ATTRIBUTE, cached)
    return cached[1]


def organization_mfa_missing(*, request: HttpRequest) -> bool:
    """The request's organisation requires MFA and the logged-in user has no authenticator app."""
    if not request.user.is_authenticated:
        return False
    organization = organization_get_for_request(request=request)
    if organization is None or not organization.require_mfa:
        return False
    return not _request_user_has_totp(request)


def staff_mfa_missing(*, request: HttpRequest) -> bool:
    """A staff user without an authenticator app while ACCOUNTS_STAFF_REQUIRE_MFA is on."""
    user = request.user
    if not (settings.ACCOUNTS_STAFF_REQUIRE_MFA and user.is_authenticated and user.is_staff):
        return False
    return not _request_user_has_totp(request)
