"""What the checks app adds to pages owned by monitors (see monitors.panels)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from checks.selectors import (
    heartbeat_ping_list_for_monitor,
    latency_points_for_monitor,
    metrics_for_monitor,
    result_list_for_monitor,
    uptime_by_monitor,
)
from checks.services_heartbeats import heartbeat_deadline, humanize_seconds
from monitors.models import Monitor
from monitors.panels import register_dashboard_columns, register_detail_panel

RECENT_RESULTS = 20
RECENT_PINGS = 20
CHART_WINDOW = timedelta(hours=24)


def results_panel_context(monitor: Monitor) -> dict[str, Any]:
    """24 h metrics, the latency chart's points and the latest results of one monitor."""
    now = timezone.now()
    points = latency_points_for_monitor(monitor=monitor, since=now - CHART_WINDOW)
    return {
        "metrics": metrics_for_monitor(monitor=monitor, range_name="24h", now=now),
        # Column arrays, as uPlot wants them; epoch seconds. A failed check keeps its
        # latency (a timeout has none) and is drawn by latency_chart.js as a red point.
        "chart": {
            "t": [int(started_at.timestamp()) for started_at, _, _ in points],
            "latency_ms": [latency for _, latency, _ in points],
            "ok": [ok for _, _, ok in points],
        },
        "results": list(result_list_for_monitor(monitor=monitor)[:RECENT_RESULTS]),
    }


def heartbeat_panel_context(monitor: Monitor) -> dict[str, Any]:
    """Ping URLs (absolute, from SITE_URL), the last ping and the recent pings of a heartbeat monitor; {} otherwise."""
    if monitor.kind != Monitor.Kind.HEARTBEAT:
        return {}
    token = {"token": monitor.ping_token}
    return {
        "heartbeat": True,
        "ping_urls": {
            kind: settings.SITE_URL + reverse(f"checks:ping-{kind}", kwargs=token)
            for kind in ("success", "start", "fail")
        },
        "period": humanize_seconds(monitor.period_seconds),
        "grace": humanize_seconds(monitor.grace_seconds),
        "deadline": heartbeat_deadline(monitor).at,
        "last_ping_at": monitor.last_ping_at,
        "last_start_at": monitor.last_start_at,
        "pings": list(heartbeat_ping_list_for_monitor(monitor=monitor)[:RECENT_PINGS]),
    }


def uptime_columns(monitors: list[Monitor]) -> dict[int, dict[str, Any]]:
    """{monitor id: {"uptime_24h": percent or None}} for the dashboard, in one query."""
    uptime = uptime_by_monitor(monitors=monitors, since=timezone.now() - timedelta(hours=24))
    return {monitor_id: {"uptime_24h": percent} for monitor_id, percent in uptime.items()}


def register() -> None:
    """Called from ChecksConfig.ready()."""
    register_detail_panel(order=5, template="checks/_heartbeat_panel.html", context=heartbeat_panel_context)
    register_detail_panel(order=10, template="checks/_results_panel.html", context=results_panel_context)
    register_dashboard_columns(uptime_columns)
