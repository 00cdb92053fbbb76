"""What the alerts app adds to pages owned by monitors (see monitors.panels)."""

from __future__ import annotations

from typing import Any

from alerts.models import Incident
from monitors.models import Monitor
from monitors.panels import register_detail_panel

RECENT_INCIDENTS = 10


def incidents_panel_context(monitor: Monitor) -> dict[str, Any]:
    """The monitor's latest incidents, newest first."""
    incidents = Incident.objects.filter(monitor=monitor).order_by("-opened_at")[:RECENT_INCIDENTS]
    return {"incidents": list(incidents), "monitor_id": monitor.id}


def register() -> None:
    """Called from AlertsConfig.ready()."""
    register_detail_panel(order=20, template="alerts/panels/_incidents_panel.html", context=incidents_panel_context)
