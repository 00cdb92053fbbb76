"""HTML routes of the checks app (mounted at the root by config.urls): public heartbeat pings, the Contract actions."""

from __future__ import annotations

from django.urls import path

from checks.models import HeartbeatPing
from checks.views_drift import BaselinePinView, BaselineRelearnView, DriftAcceptView
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
    # The Contract section of the monitor page (logged in, the role table applies).
    path("monitors/<int:pk>/drift-events/<int:event_id>/accept/", DriftAcceptView.as_view(), name="drift-accept"),
    path("monitors/<int:pk>/contract/pin/", BaselinePinView.as_view(), name="contract-pin"),
    path("monitors/<int:pk>/contract/relearn/", BaselineRelearnView.as_view(), name="contract-relearn"),
]
