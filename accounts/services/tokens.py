"""JWT pairs: the only place that mints them (JWT-01), logout, and revoking a user's refresh tokens."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from allauth.account.adapter import get_adapter
from allauth.mfa.models import Authenticator
from django.db import transaction
from django.http import HttpRequest
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from accounts.selectors import user_can_authenticate

logger = logging.getLogger(__name__)


class TokenRefused(Exception):
    """No token pair: `code` is "no_active_account", "mfa_required" or "mfa_invalid"."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _no_active_account() -> TokenRefused:
    # simplejwt's wording, so the answer reads as it did before this service existed.
    return TokenRefused("no_active_account", "No active account found with the given credentials")


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def token_pair_for_user(*, user: User) -> TokenPair:
    """A fresh access+refresh pair for an active, verified user; TokenRefused otherwise.

    The only caller of `RefreshToken.for_user` outside tests (an AST test holds it to that).
    """
    if not user_can_authenticate(user):
        raise _no_active_account()
    refresh = RefreshToken.for_user(user)
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def _mfa_check(*, user: User, otp: str) -> None:
    """With an active TOTP authenticator, `otp` must be a current TOTP code or an unused recovery code."""
    authenticators = {a.type: a for a in Authenticator.objects.filter(user=user)}
    totp = authenticators.get(Authenticator.Type.TOTP)
    if totp is None:
        return
    if not otp:
        raise TokenRefused("mfa_required", "This account uses two-factor authentication: send `otp`.")
    for authenticator in (totp, authenticators.get(Authenticator.Type.RECOVERY_CODES)):
        # allauth.mfa's own classes: TOTP refuses a code used before, recovery codes work once.
        if authenticator is not None and authenticator.wrap().validate_code(otp):
            authenticator.record_usage()
            return
    raise TokenRefused("mfa_invalid", "The two-factor code is not valid.")


def token_pair_obtain(*, request: HttpRequest, email: str, password: str, otp: str = "") -> TokenPair:
    """Check email+password (and the second factor when the user has one), then mint a pair.

    Goes through allauth's adapter, so a failure counts toward the same per-address bucket as a
    failed web login (accounts.adapter.authentication_failed). Unknown, inactive and unverified
    accounts and a wrong password all raise the same TokenRefused("no_active_account").
    """
    user = get_adapter(request).authenticate(request, email=email, password=password)
    if user is None or not user_can_authenticate(user):
        raise _no_active_account()
    _mfa_check(user=user, otp=otp)
    return token_pair_for_user(user=user)


def refresh_token_blacklist(*, refresh: RefreshToken) -> None:
    """Blacklist one refresh token (logout). Idempotent."""
    refresh.blacklist()


@transaction.atomic
def refresh_tokens_revoke_for_user(*, user: User) -> int:
    """Blacklist every outstanding refresh token of `user` (password change or reset). Returns how many."""
    pending = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    created = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in pending], ignore_conflicts=True
    )
    logger.info("refresh tokens revoked user=%s count=%s", user.pk, len(created))
    return len(created)
