"""allauth hooks: signup can be closed, and a new user gets an organisation."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import get_random_string

from accounts.ratelimits import login_failure_record
from accounts.selectors_organizations import invitation_pending_for_token_hash
from accounts.services import default_organization_name, organization_create


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        if settings.SIGNUP_OPEN:
            return True
        # Invite-only installs: a visitor who opened a still-valid invitation link may sign up
        # (accounts.views_invitations stores the link's token hash in the session).
        token_hash = request.session.get("invitation_token_hash") if hasattr(request, "session") else None
        return bool(token_hash) and invitation_pending_for_token_hash(token_hash=str(token_hash)) is not None

    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=commit)
            if commit:
                organization_create(owner=user, name=default_organization_name(user))
        return user

    def send_account_already_exists_mail(self, email: str) -> None:
        # A signup for a new address hashes its password; a signup for a taken one hashes a
        # throwaway, so the answer's timing does not tell the two apart (AUTH-03).
        make_password(get_random_string(32))
        super().send_account_already_exists_mail(email)

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        # Web login, reauthentication and POST /api/v1/auth/token/ all end here after a wrong
        # password: one per-address bucket for all of them (AUTH-04). Over it, RateLimitExceeded
        # becomes a 429 (accounts.views_auth.permission_denied, core.api.exception_handler).
        super().authentication_failed(request, **credentials)
        login_failure_record(request, email=str(credentials.get("email") or credentials.get("username") or ""))
