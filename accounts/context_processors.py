"""Template context for every page: the current organisation, the user's others, and what the role allows."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.roles import permissions_of
from accounts.selectors import organization_get_for_request, organization_list_for_user, role_for_request


def organization(request: HttpRequest) -> dict[str, object]:
    """`current_organization`, `user_organizations`, `current_role` and `can.<permission>` (the role table)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    role = role_for_request(request=request)
    return {
        "current_organization": organization_get_for_request(request=request),
        "user_organizations": organization_list_for_user(user=user),  # type: ignore[arg-type]
        "current_role": role,
        "can": {permission.value: True for permission in permissions_of(role)},
    }
