"""API throttles: one bucket per user (JWT or session) and one per API key (issue 3, part 6).

Counts live in the default cache (Redis when REDIS_URL is set), so the limits hold across web
processes. Rates come from API_RATE_LIMIT_PER_USER / API_RATE_LIMIT_PER_KEY at request time, and
RATELIMIT_ENABLE=False (the test settings) turns both off. Over the limit DRF answers 429 with
Retry-After.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiKey

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


class _SettingsRateThrottle(SimpleRateThrottle):
    setting_name = ""

    def get_rate(self) -> str | None:
        return getattr(settings, self.setting_name, None) or None

    def allow_request(self, request: Request, view: APIView) -> bool:
        if not getattr(settings, "RATELIMIT_ENABLE", True):
            return True
        # Read again per request: a settings override (tests, or a reload) applies at once.
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class UserRateThrottle(_SettingsRateThrottle):
    """A signed-in user (JWT or session), whatever the address; API keys have their own bucket."""

    scope = "user"
    setting_name = "API_RATE_LIMIT_PER_USER"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if isinstance(request.auth, ApiKey) or not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class ApiKeyRateThrottle(_SettingsRateThrottle):
    """One API key, from wherever it is used."""

    scope = "api_key"
    setting_name = "API_RATE_LIMIT_PER_KEY"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not isinstance(request.auth, ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
