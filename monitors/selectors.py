"""Read-side queries of the monitors app, always scoped to an organisation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from accounts.models import Organization
from monitors.maintenance import window_active
from monitors.models import MaintenanceWindow, Monitor


def monitor_list_for_organization(*, organization: Organization) -> QuerySet[Monitor]:
    return Monitor.objects.filter(organization=organization).order_by("name", "id")


def monitor_get(*, organization: Organization, monitor_id: int) -> Monitor | None:
    """The organisation's monitor, or None (callers answer 404 for another tenant's id)."""
    return Monitor.objects.filter(organization=organization, id=monitor_id).first()


def monitor_get_active(*, monitor_id: int) -> Monitor | None:
    """For tasks: the monitor if it still exists and is not paused."""
    return Monitor.objects.filter(id=monitor_id, paused=False).select_related("organization").first()


@dataclass(frozen=True)
class DueMonitor:
    id: int
    next_check_at: datetime
    interval_seconds: int
    regions: list[str]


def monitor_list_due(*, now: datetime, limit: int, skip_locked: bool = False) -> list[DueMonitor]:
    """Due, unpaused monitors, oldest slot first, read through monitor_due_idx.

    skip_locked (PostgreSQL, inside the caller's transaction): lock the rows returned and pass
    over rows another dispatcher holds (`FOR UPDATE SKIP LOCKED`), so concurrent claimers take
    disjoint batches without waiting; used by monitors.services.monitor_claim_due_batch.
    Heartbeat monitors are never probed: their pings arrive at /ping/<token> and
    checks.check_heartbeats finds the late ones.
    """
    rows = Monitor.objects.filter(paused=False, next_check_at__lte=now).exclude(kind=Monitor.Kind.HEARTBEAT)
    if skip_locked:
        rows = rows.select_for_update(skip_locked=True)
    rows = rows.order_by("next_check_at").values_list("id", "next_check_at", "interval_seconds", "regions")[:limit]
    return [DueMonitor(*row) for row in rows]


def maintenance_window_active_for(*, monitor: Monitor, now: datetime) -> MaintenanceWindow | None:
    """The first window (by id) of this monitor, or of its whole organisation, active at `now`; else None."""
    windows = MaintenanceWindow.objects.filter(
        Q(monitor_id=monitor.id) | Q(monitor__isnull=True), organization_id=monitor.organization_id
    ).order_by("id")
    for window in windows:
        if window_active(window, now):
            return window
    return None


def maintenance_window_list_for_organization(*, organization: Organization) -> QuerySet[MaintenanceWindow]:
    """The organisation's maintenance windows by name, each with its monitor (if any)."""
    return MaintenanceWindow.objects.filter(organization=organization).select_related("monitor").order_by("name", "id")


def maintenance_window_get(*, organization: Organization, maintenance_window_id: int) -> MaintenanceWindow | None:
    """The organisation's window, or None (callers answer 404 for another tenant's id)."""
    return (
        MaintenanceWindow.objects.filter(organization=organization, id=maintenance_window_id)
        .select_related("monitor", "organization")
        .first()
    )
