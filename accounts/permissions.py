"""API permissions shared by every app's endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import ApiKey

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
