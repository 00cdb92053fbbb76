"""The "Regions" panel of the monitor page and the regions' detail in /readyz (checks.region_lag)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from checks.models import MonitorRegionState
from checks.region_lag import region_lag_list
from core.readiness import ReadinessDetail, register_readiness_contributor
from monitors.models import Monitor
from monitors.panels import register_detail_panel


def regions_panel_context(monitor: Monitor) -> dict[str, Any]:
    """One row per region the monitor runs in: its state there and how promptly that region's queue is consumed."""
    if monitor.kind == Monitor.Kind.HEARTBEAT:
        return {"regions": []}  # pushed, not probed: no region runs it
    states = {row.region: row for row in MonitorRegionState.objects.filter(monitor=monitor)}
    lags = {lag.region: lag for lag in region_lag_list(now=timezone.now())}
    rows = []
    for region in monitor.regions or []:
        state = states.get(region)
        rows.append(
            {
                "name": region,
                "state": state.state if state else "pending",
                "consecutive_failures": state.consecutive_failures if state else 0,
                "last_result_at": state.last_result_at if state else None,
                "lag": lags.get(region),
            }
        )
    return {"regions": rows}


def regions_readiness() -> ReadinessDetail:
    """{"region": {lag_ms, consumed_at, probe_sent_at, stale}}; degraded when any region is stale."""
    lags = region_lag_list(now=timezone.now())
    return ReadinessDetail(detail={lag.region: lag.as_dict() for lag in lags}, degraded=any(lag.stale for lag in lags))


def register() -> None:
    """Called from ChecksConfig.ready()."""
    register_detail_panel(order=5, template="checks/_regions_panel.html", context=regions_panel_context)
    register_readiness_contributor("regions", regions_readiness)
