"""API-key authentication for DRF: `X-Api-Key: dw_rw_…`."""

from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.services import api_key_authenticate

API_KEY_HEADER = "HTTP_X_API_KEY"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        key = request.META.get(API_KEY_HEADER)
        if key is None:
            return None
        api_key = api_key_authenticate(key=key.strip())
        if api_key is None or api_key.created_by is None or not api_key.created_by.is_active:
            raise exceptions.AuthenticationFailed("Invalid API key.")
        return api_key.created_by, api_key

    def authenticate_header(self, request: Request) -> str:
        return "X-Api-Key"
