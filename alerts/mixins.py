"""A base for pages about one object of the request's organisation (a rule, an incident)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import Http404, HttpRequest, HttpResponse

from accounts.mixins import PermissionRequiredMixin


class OrganizationObjectMixin(PermissionRequiredMixin):
    """Finds the object named in the URL before the role is checked, so another tenant's id is a
    404 to every method and role (never a 405 or 403 that would tell it apart from a missing one)."""

    def find_object(self, **kwargs: Any) -> models.Model | None:
        raise NotImplementedError

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        found = self.find_object(**kwargs)
        if found is None:
            raise Http404("Not found.")
        self.object = found
        return super().dispatch(request, *args, **kwargs)
