"""API-key authentication for DRF: `X-Api-Key: dw_rw_…`."""

from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import Membership
from accounts.ratelimits import auth_attempt_from_ip
from accounts.services import api_key_authenticate

API_KEY_HEADER = "HTTP_X_API_KEY"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """A key acts for its creator, only while the creator is active and still in the key's organisation.

    Every refusal has the same body (KEY-04) and counts toward the client address's sign-in
    bucket (accounts.ratelimits, AUTH-04): guessing keys is as limited as guessing passwords.
    """

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        key = request.META.get(API_KEY_HEADER)
        if key is None:
            return None
        api_key = api_key_authenticate(key=key.strip())
        creator = api_key.created_by if api_key is not None else None
        if (
            api_key is None
            or creator is None
            or not creator.is_active
            or not Membership.objects.filter(user=creator, organization_id=api_key.organization_id).exists()
        ):
            auth_attempt_from_ip(request)  # raises RateLimitExceeded (429) when over the limit
            raise exceptions.AuthenticationFailed("Invalid API key.")
        return creator, api_key

    def authenticate_header(self, request: Request) -> str:
        return "X-Api-Key"
