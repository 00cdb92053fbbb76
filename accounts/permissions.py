"""API permissions shared by every app's endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.exceptions import NotFound
from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.mfa import organization_mfa_missing
from accounts.models import ApiKey
from accounts.roles import Permission, role_can
from accounts.selectors import role_for_request

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


class ApiKeyScopePermission(BasePermission):
    """A read-scoped key may only use safe methods; anything else is 403."""

    message = "This API key is read-only."

    def has_permission(self, request: Request, view: APIView) -> bool:
        auth = request.auth
        if isinstance(auth, ApiKey) and auth.scope == ApiKey.Scope.READ:
            return request.method in SAFE_METHODS
        return True


class NotApiKey(BasePermission):
    """For endpoints a key must not reach (a key cannot mint keys)."""

    message = "This endpoint needs a user login (JWT or session), not an API key."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return not isinstance(request.auth, ApiKey)


class OrganizationPermission(BasePermission):
    """The role table, for the API: reads need VIEW, writes the view's `write_permission`.

    A view that accepts writes declares `write_permission = Permission.…`; one that does not
    declare it refuses every write (secure default). A viewer, or a read key, gets 403.
    """

    message = "Your role in this organisation does not allow this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in SAFE_METHODS:
            needed = getattr(view, "read_permission", Permission.VIEW)
        else:
            needed = getattr(view, "write_permission", None)
        role = role_for_request(request=request)
        if role is None:
            # Not a member of any organisation (or the key's creator left it): nothing here is
            # theirs, so the answer is the same 404 as for another tenant's object.
            raise NotFound()
        return needed is not None and role_can(role, needed)


class MfaSatisfied(BasePermission):
    """A session or JWT user in an organisation that requires MFA must have an authenticator app.

    API keys are exempt: they are machine credentials, minted by a user who passed the check.
    """

    message = "MFA required: your organisation requires two-factor authentication. Set up an authenticator app first."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if isinstance(request.auth, ApiKey):
            return True
        return not organization_mfa_missing(request=request)
