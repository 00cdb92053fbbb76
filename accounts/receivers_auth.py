"""A password change or reset ends every refresh token of the user (AUTH-06).

Other sessions end through Django's session auth hash; access tokens through simplejwt's
CHECK_REVOKE_TOKEN. This blacklists the outstanding refresh tokens, so they are refused even
on installs that turn CHECK_REVOKE_TOKEN off.
"""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_changed, password_reset, password_set
from django.dispatch import receiver

from accounts.services.tokens import refresh_tokens_revoke_for_user


@receiver(password_changed, dispatch_uid="accounts.password_changed_revoke_tokens")
@receiver(password_reset, dispatch_uid="accounts.password_reset_revoke_tokens")
@receiver(password_set, dispatch_uid="accounts.password_set_revoke_tokens")
def password_changed_revoke_tokens(sender: Any, user: Any, **kwargs: Any) -> None:
    refresh_tokens_revoke_for_user(user=user)
