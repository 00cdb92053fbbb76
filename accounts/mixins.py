"""The role table, for HTML views: one mixin every organisation page uses."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.functional import cached_property

from accounts.models import Organization
from accounts.roles import Permission, role_can
from accounts.selectors import organization_get_for_request, role_for_request


class PermissionRequiredMixin(LoginRequiredMixin):
    """GET/HEAD need `read_permission` (VIEW); any other method needs `write_permission`.

    A view that takes writes must name its `write_permission`; without one every POST is 403.
    """

    read_permission: Permission = Permission.VIEW
    write_permission: Permission | None = None
    request: HttpRequest

    @cached_property
    def organization(self) -> Organization:
        """The organisation the request acts for; none at all is the same 404 as another tenant's."""
        organization = organization_get_for_request(request=self.request)
        if organization is None:
            raise Http404("No organisation.")
        return organization

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        needed = self.read_permission if request.method in ("GET", "HEAD", "OPTIONS") else self.write_permission
        role = role_for_request(request=request)
        if role is None:
            raise Http404("No organisation.")  # same answer as another tenant's object
        if needed is None or not role_can(role, needed):
            raise PermissionDenied("Your role in this organisation does not allow this.")
        return super().dispatch(request, *args, **kwargs)
