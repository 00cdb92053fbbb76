"""HTML pages of the accounts app: the organisation's API keys."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views import View

from accounts.forms import ApiKeyCreateForm
from accounts.mixins import PermissionRequiredMixin
from accounts.models import Organization
from accounts.roles import Permission
from accounts.selectors import api_key_get, api_key_list_for_organization, organization_get_for_request
from accounts.services import actor_for_request, api_key_create, api_key_revoke

logger = logging.getLogger(__name__)

TEMPLATE = "accounts/api_key_list.html"


def _organization(request: HttpRequest) -> Organization:
    organization = organization_get_for_request(request=request)
    if organization is None:
        raise Http404("No organisation.")
    return organization


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


class ApiKeyListView(PermissionRequiredMixin, View):
    """List the keys (VIEW); POST creates one (MANAGE_API_KEYS) and shows its plaintext on this response only."""

    write_permission = Permission.MANAGE_API_KEYS

    def get(self, request: HttpRequest) -> HttpResponse:
        return _render(request, _organization(request), ApiKeyCreateForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        organization = _organization(request)
        form = ApiKeyCreateForm(request.POST)
        if not form.is_valid():
            return _render(request, organization, form)
        issued = api_key_create(
            organization=organization,
            created_by=request.user,  # type: ignore[arg-type]
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            expires_at=form.cleaned_data["expires_on"],
            actor=actor_for_request(request),
        )
        # Rendered, not redirected: the plaintext is never stored, not even in the session.
        return _render(request, organization, ApiKeyCreateForm(), new_key=issued.key, new_api_key=issued.api_key)


class ApiKeyRevokeView(PermissionRequiredMixin, View):
    http_method_names = ["post"]
    write_permission = Permission.MANAGE_API_KEYS

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        organization = _organization(request)
        api_key = api_key_get(organization=organization, api_key_id=pk)
        if api_key is None:
            raise Http404("No such API key.")
        api_key_revoke(api_key=api_key, actor=actor_for_request(request))
        messages.success(request, f"The key “{api_key.name}” is revoked; requests that use it now get 401.")
        return HttpResponseRedirect(reverse("accounts:api-key-list"))
