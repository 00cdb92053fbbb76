"""The invitation link's page: /invitations/<token>/ (see accounts.services.invitations).

Visiting a still-usable link remembers its hash in the session, so that signup stays open for
this visitor while SIGNUP_OPEN is false (accounts.adapter.AccountAdapter.is_open_for_signup).
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from accounts.exceptions import AccountsError, InvitationEmailMismatch, InvitationError, InvitationNotFound
from accounts.models import Invitation
from accounts.selectors import SESSION_ORGANIZATION_KEY
from accounts.selectors_organizations import invitation_get_for_token
from accounts.services import actor_for_request, invitation_accept, invitation_check

logger = logging.getLogger(__name__)

SESSION_INVITATION_KEY = "invitation_token_hash"
TEMPLATE = "accounts/invitation_accept.html"


def _email_verified(request: HttpRequest, invitation: Invitation) -> bool:
    from allauth.account.models import EmailAddress  # noqa: PLC0415 - allauth models load after apps

    return EmailAddress.objects.filter(user=request.user, email__iexact=invitation.email, verified=True).exists()


class InvitationAcceptView(View):
    """GET shows the invitation (log in / sign up links for visitors); POST accepts it."""

    def _render(self, request: HttpRequest, token: str, invitation: Invitation | None, error: str = "") -> HttpResponse:
        here = request.path
        context = {
            "invitation": invitation,
            "error": error,
            "token": token,
            "login_url": f"{reverse('account_login')}?{urlencode({'next': here})}",
            "signup_url": f"{reverse('account_signup')}?{urlencode({'next': here})}",
            "email_matches": bool(
                invitation is not None and request.user.is_authenticated and _email_verified(request, invitation)
            ),
        }
        status = 200
        if error:
            status = 404 if invitation is None else 410
        return render(request, TEMPLATE, context, status=status)

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        invitation = invitation_get_for_token(token=token)
        try:
            invitation_check(invitation=invitation)
        except InvitationError as exc:
            return self._render(
                request, token, invitation if not isinstance(exc, InvitationNotFound) else None, exc.message
            )
        request.session[SESSION_INVITATION_KEY] = invitation.token_hash  # type: ignore[union-attr]
        return self._render(request, token, invitation)

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        if not request.user.is_authenticated:
            return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({'next': request.path})}")
        try:
            membership = invitation_accept(token=token, user=request.user, actor=actor_for_request(request))  # type: ignore[arg-type]
        except AccountsError as exc:
            invitation = invitation_get_for_token(token=token)
            response = self._render(request, token, invitation, exc.message)
            if isinstance(exc, InvitationEmailMismatch):
                response.status_code = 403
            elif not isinstance(exc, InvitationError):  # already a member
                response.status_code = 400
            return response
        request.session.pop(SESSION_INVITATION_KEY, None)
        request.session[SESSION_ORGANIZATION_KEY] = membership.organization_id
        messages.success(
            request,
            f"Welcome to {membership.organization.name}: you joined as {membership.get_role_display().lower()}.",
        )
        return HttpResponseRedirect("/")
