"""Public, unauthenticated endpoints of the checks app: heartbeat pings (mounted at the root by config.urls)."""

from __future__ import annotations

from django.urls import path

from checks.models import HeartbeatPing
from checks.views_heartbeats import PingView

app_name = "checks"

_success = PingView.as_view(kind=HeartbeatPing.Kind.SUCCESS)
_start = PingView.as_view(kind=HeartbeatPing.Kind.START)
_fail = PingView.as_view(kind=HeartbeatPing.Kind.FAIL)

# With and without a trailing slash: cron lines are written by hand, and a redirect would turn a POST into a GET.
urlpatterns = [
    path("ping/<uuid:token>", _success, name="ping-success"),
    path("ping/<uuid:token>/", _success, name="ping-success-slash"),
    path("ping/<uuid:token>/start", _start, name="ping-start"),
    path("ping/<uuid:token>/start/", _start, name="ping-start-slash"),
    path("ping/<uuid:token>/fail", _fail, name="ping-fail"),
    path("ping/<uuid:token>/fail/", _fail, name="ping-fail-slash"),
]
