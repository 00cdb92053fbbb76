"""HTML pages of the accounts app: the organisation's API keys."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views import View

from accounts.forms import ApiKeyCreateForm
from accounts.models import Membership, Organization
from accounts.selectors import api_key_get, api_key_list_for_organization, membership_get, organization_get_for_request
from accounts.services import api_key_create, api_key_revoke

logger = logging.getLogger(__name__)

TEMPLATE = "accounts/api_key_list.html"


def _organization(request: HttpRequest) -> Organization:
    organization = organization_get_for_request(request=request)
    if organization is None:
        raise Http404("No organisation.")
    return organization


def _require_write_role(request: HttpRequest, organization: Organization) -> None:
    """Viewers may see the keys but not mint or revoke them."""
    membership = membership_get(user=request.user, organization=organization)  # type: ignore[arg-type]
    if membership is None or membership.role == Membership.Role.VIEWER:
        raise PermissionDenied("Your role in this organisation is read-only.")


def _render(request: HttpRequest, organization: Organization, form: ApiKeyCreateForm, **extra: Any) -> HttpResponse:
    context = {
        "organization": organization,
        "api_keys": api_key_list_for_organization(organization=organization),
        "form": form,
        **extra,
    }
    response = render(request, TEMPLATE, context)
    # The page may carry a plaintext key: no browser or proxy may keep a copy.
    add_never_cache_headers(response)
    return response


class ApiKeyListView(LoginRequiredMixin, View):
    """List the organisation's keys; POST creates one and shows its plaintext on this response only."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return _render(request, _organization(request), ApiKeyCreateForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        organization = _organization(request)
        _require_write_role(request, organization)
        form = ApiKeyCreateForm(request.POST)
        if not form.is_valid():
            return _render(request, organization, form)
        issued = api_key_create(
            organization=organization,
            created_by=request.user,  # type: ignore[arg-type]
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            expires_at=form.cleaned_data["expires_on"],
        )
        # Rendered, not redirected: the plaintext is never stored, not even in the session.
        return _render(request, organization, ApiKeyCreateForm(), new_key=issued.key, new_api_key=issued.api_key)


class ApiKeyRevokeView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        organization = _organization(request)
        api_key = api_key_get(organization=organization, api_key_id=pk)
        if api_key is None:
            raise Http404("No such API key.")
        _require_write_role(request, organization)
        api_key_revoke(api_key=api_key)
        messages.success(request, f"The key “{api_key.name}” is revoked; requests that use it now get 401.")
        return HttpResponseRedirect(reverse("accounts:api-key-list"))
