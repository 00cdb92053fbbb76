"""The user's own account page (email, password, MFA, deletion) and the admin's login redirect."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views import View

from accounts.forms_account import AccountDeleteForm
from accounts.mfa import user_has_totp
from accounts.selectors import organization_list_for_user
from accounts.services import actor_for_request
from accounts.services.account_deletion import (
    AccountDeletionError,
    account_deletion_confirm,
    account_deletion_request,
    account_deletion_restore,
)

logger = logging.getLogger(__name__)


def _render(request: HttpRequest, form: AccountDeleteForm, status: int = 200) -> HttpResponse:
    context = {
        "form": form,
        "has_totp": user_has_totp(user=request.user),  # type: ignore[arg-type]
        "organizations": organization_list_for_user(user=request.user),  # type: ignore[arg-type]
        "grace_days": settings.ACCOUNTS_DELETION_GRACE_DAYS,
    }
    return render(request, "accounts/account_detail.html", context, status=status)


class AccountView(LoginRequiredMixin, View):
    """The signed-in user's address, links to change it, the password and MFA, and deletion."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return _render(request, AccountDeleteForm(user=request.user))  # type: ignore[arg-type]


class AccountDeleteView(LoginRequiredMixin, View):
    """POST with the password: the account is blocked at once and an email asks to confirm the deletion."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        form = AccountDeleteForm(request.POST, user=request.user)  # type: ignore[arg-type]
        if not form.is_valid():
            return _render(request, form, status=400)
        user = account_deletion_request(user=request.user, actor=actor_for_request(request))  # type: ignore[arg-type]
        logout(request)
        messages.success(
            request,
            f"Your account is blocked. We emailed {user.email} a link to confirm its deletion, "
            f"and one to restore it within {settings.ACCOUNTS_DELETION_GRACE_DAYS} days.",
        )
        return HttpResponseRedirect(reverse("account_login"))


class _DeletionLinkView(View):
    """The page behind an emailed deletion link: GET explains, POST acts (mail scanners only GET)."""

    title = ""
    explanation = ""
    button = ""
    danger = False

    def act(self, token: str) -> str:
        raise NotImplementedError

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        return self._render(request)

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            done = self.act(token)
        except AccountDeletionError as exc:
            return self._render(request, error=str(exc), status=400)
        return self._render(request, done=done)

    def _render(self, request: HttpRequest, *, status: int = 200, **extra: str) -> HttpResponse:
        context = {
            "title": self.title,
            "explanation": self.explanation,
            "button": self.button,
            "danger": self.danger,
            **extra,
        }
        return render(request, "accounts/account_deletion_link.html", context, status=status)


class AccountDeletionConfirmView(_DeletionLinkView):
    title = "Delete your account for good"
    explanation = "Your account is blocked. Confirm, and it is deleted for good when the grace period ends."
    button = "Confirm the deletion"
    danger = True

    def act(self, token: str) -> str:
        account_deletion_confirm(token=token)
        days = settings.ACCOUNTS_DELETION_GRACE_DAYS
        return f"Confirmed. The account is deleted {days} days after your request; until then the restore link works."


class AccountDeletionRestoreView(_DeletionLinkView):
    title = "Restore your account"
    explanation = "Your account is blocked and waiting to be deleted. Restore it to use it again."
    button = "Restore my account"

    def act(self, token: str) -> str:
        user = account_deletion_restore(token=token)
        return f"Restored. Log in as {user.email}; monitors that were paused for the deletion run again."


def admin_login(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    """Replaces the admin's own login form, so MFA cannot be skipped through /admin/login/.

    Anonymous users go to the site's login (password, then the second factor); signed-in
    staff go on to where they were headed; anyone else signed in gets 403.
    """
    next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
    safe = url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if not safe:
        next_url = reverse("admin:index")
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return HttpResponseRedirect(next_url)
        raise PermissionDenied("The admin is for staff.")
    login_url = resolve_url(settings.LOGIN_URL)
    return HttpResponseRedirect(f"{login_url}?{urlencode({REDIRECT_FIELD_NAME: next_url})}")
