"""Use cases of maintenance windows: create, change, delete (each audited), and their field rules.

Whether a window is active is monitors.maintenance.window_active (pure); the checks app asks
monitors.selectors.maintenance_window_active_for while it records a result.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Organization
from accounts.services import Actor, audit_record
from monitors.maintenance import MAX_DURATION_MINUTES, is_valid_cron, is_valid_time_zone
from monitors.models import MaintenanceWindow

logger = logging.getLogger(__name__)

EDITABLE_FIELDS = (
    "name",
    "monitor",
    "recurrence",
    "starts_at",
    "ends_at",
    "weekdays",
    "start_time",
    "cron",
    "duration_minutes",
    "time_zone",
)
Recurrence = MaintenanceWindow.Recurrence


def maintenance_window_validate(window: MaintenanceWindow) -> None:
    """Raise ValidationError({field: message}) unless the window is complete for its recurrence."""
    errors: dict[str, str] = {}
    if not (window.name or "").strip():
        errors["name"] = "Give the window a name."
    if window.monitor is not None and window.monitor.organization_id != window.organization_id:
        errors["monitor"] = "No such monitor."  # another organisation's: the same words as a missing one
    if not is_valid_time_zone(window.time_zone or ""):
        errors["time_zone"] = f"{str(window.time_zone)[:64]!r} is not a time zone (e.g. Europe/Paris, UTC)."
    if window.recurrence == Recurrence.ONCE:
        errors.update(_once_errors(window))
    elif window.recurrence in (Recurrence.WEEKLY, Recurrence.CRON):
        if isinstance(window.duration_minutes, bool) or not (
            isinstance(window.duration_minutes, int) and 1 <= window.duration_minutes <= MAX_DURATION_MINUTES
        ):
            errors["duration_minutes"] = f"Between 1 and {MAX_DURATION_MINUTES} minutes (one week)."
        if window.recurrence == Recurrence.WEEKLY:
            errors.update(_weekly_errors(window))
        elif not window.cron or not is_valid_cron(window.cron):
            errors["cron"] = "Not a cron expression (five fields, e.g. 0 3 * * 0 for Sundays at 03:00)."
    else:
        errors["recurrence"] = "Choose once, weekly or cron."
    if errors:
        raise ValidationError(errors)


def _once_errors(window: MaintenanceWindow) -> dict[str, str]:
    errors = {}
    if window.starts_at is None:
        errors["starts_at"] = "A one-off window needs a start."
    if window.ends_at is None:
        errors["ends_at"] = "A one-off window needs an end."
    elif window.starts_at is not None and window.ends_at <= window.starts_at:
        errors["ends_at"] = "The end must be after the start."
    return errors


def _weekly_errors(window: MaintenanceWindow) -> dict[str, str]:
    errors = {}
    days = window.weekdays
    if (
        not isinstance(days, list)
        or not days
        or any(isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6 for d in days)
    ):
        errors["weekdays"] = "Choose at least one day (0 = Monday … 6 = Sunday)."
    if window.start_time is None:
        errors["start_time"] = "A weekly window needs a start time."
    return errors


def _tidy(window: MaintenanceWindow) -> None:
    """Clear what the recurrence does not use, so a stored window reads as what it does."""
    if window.recurrence != Recurrence.ONCE:
        window.starts_at = window.ends_at = None
    if window.recurrence != Recurrence.WEEKLY:
        window.weekdays = []
        window.start_time = None
    else:
        window.weekdays = sorted(set(window.weekdays))
    if window.recurrence != Recurrence.CRON:
        window.cron = ""
    window.name = window.name.strip()


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown maintenance window fields: {sorted(unknown)}")


def maintenance_window_create(
    *, organization: Organization, actor: Actor | None = None, now: datetime | None = None, **fields: Any
) -> MaintenanceWindow:
    """Create a window for one monitor (`monitor`) or the whole organisation (monitor None).

    Raises ValidationError for incomplete fields or another organisation's monitor.
    """
    _check_fields(fields)
    window = MaintenanceWindow(organization=organization, **fields)
    if now is not None:
        window.created_at = now
    maintenance_window_validate(window)
    _tidy(window)
    with transaction.atomic():
        window.save()
        audit_record(
            organization=organization,
            actor=actor,
            action="maintenance_window.created",
            target=window,
            data={"recurrence": window.recurrence, "monitor": window.monitor_id},
        )
    logger.info("maintenance window created window=%s organization=%s", window.id, organization.id)
    return window


def maintenance_window_update(
    *, window: MaintenanceWindow, actor: Actor | None = None, **fields: Any
) -> MaintenanceWindow:
    """Change a window; the audit row names the fields whose value changed. Raises ValidationError."""
    _check_fields(fields)
    with transaction.atomic():
        window = MaintenanceWindow.objects.select_for_update(of=("self",)).select_related("monitor").get(id=window.id)
        changed = sorted(name for name, value in fields.items() if getattr(window, name) != value)
        for name, value in fields.items():
            setattr(window, name, value)
        maintenance_window_validate(window)
        _tidy(window)
        window.save()
        audit_record(
            organization=window.organization,
            actor=actor,
            action="maintenance_window.updated",
            target=window,
            data={"fields": changed},
        )
    logger.info("maintenance window updated window=%s fields=%s", window.id, ",".join(sorted(fields)))
    return window


def maintenance_window_delete(*, window: MaintenanceWindow, actor: Actor | None = None) -> None:
    """Delete a window; monitors in it leave maintenance with their next result."""
    window_id = window.id
    with transaction.atomic():
        audit_record(organization=window.organization, actor=actor, action="maintenance_window.deleted", target=window)
        window.delete()
    logger.info("maintenance window deleted window=%s", window_id)
