"""The ping endpoints of heartbeat monitors: /ping/<token>, /ping/<token>/start, /ping/<token>/fail.

Called by cron jobs and scripts with curl or wget: no login, no CSRF token, GET or POST. The
token (a random UUID) is the credential. The answer is "OK", or a bare 404 for an unknown token,
429 over a rate limit, 405 for another method: never anything about the monitor.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit.core import get_usage

from checks.models import HeartbeatPing
from checks.services_heartbeats import heartbeat_ping_record
from core.client_ip import client_ip
from monitors.models import Monitor

logger = logging.getLogger(__name__)

USER_AGENT_CHARS = 200


def _text(body: str, status: int = 200) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


def _over_limit(request: HttpRequest, *, group: str, value: str, rate: str) -> int | None:
    """Seconds until the bucket resets when this request is over its limit, else None (counts it)."""
    usage = get_usage(request, group=group, key=lambda _group, _request: value, rate=rate, increment=True)
    if usage is not None and usage["should_limit"]:
        return max(1, int(usage["time_left"]))
    return None


def _read_body(request: HttpRequest) -> str:
    """The first CHECKS_PING_BODY_BYTES of the body as text; the rest is never read into memory."""
    limit = settings.CHECKS_PING_BODY_BYTES
    raw = request.read(limit) if limit > 0 else b""
    # PostgreSQL text cannot hold NUL; a cut multi-byte character becomes U+FFFD.
    return raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


@method_decorator(csrf_exempt, name="dispatch")
class PingView(View):
    """One ping of `kind`. AllowAny on purpose: the unguessable token in the URL is the credential."""

    http_method_names = ["get", "post"]
    kind: str = HeartbeatPing.Kind.SUCCESS

    def get(self, request: HttpRequest, token: uuid.UUID) -> HttpResponse:
        return self._ping(request, token)

    def post(self, request: HttpRequest, token: uuid.UUID) -> HttpResponse:
        return self._ping(request, token)

    def _ping(self, request: HttpRequest, token: uuid.UUID) -> HttpResponse:
        ip = client_ip(request)
        # Counted before the lookup, for known and unknown tokens alike, so a 429 tells nothing either.
        for group, value, rate in (
            ("checks.ping-ip", ip, settings.CHECKS_PINGS_PER_IP),
            ("checks.ping-token", str(token), settings.CHECKS_PINGS_PER_TOKEN),
        ):
            retry_after = _over_limit(request, group=group, value=value, rate=rate)
            if retry_after is not None:
                logger.info("ping rate limit hit bucket=%s", group)
                response = _text("Too many requests", status=429)
                response["Retry-After"] = str(retry_after)
                return response
        monitor = Monitor.objects.filter(ping_token=token, kind=Monitor.Kind.HEARTBEAT).only("id", "paused").first()
        if monitor is None:
            return _text("Not found", status=404)
        heartbeat_ping_record(
            monitor=monitor,
            kind=self.kind,
            received_at=timezone.now(),
            method=request.method or "GET",
            remote_addr=ip,
            user_agent=request.headers.get("User-Agent", "")[:USER_AGENT_CHARS],
            body=_read_body(request),
        )
        return _text("OK")

    def http_method_not_allowed(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = _text("Method not allowed", status=405)
        response["Allow"] = "GET, POST"
        return response
