"""Use cases of the monitors app: create, change, delete, claim a check slot."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from accounts.services import Actor, audit_record
from monitors.models import Monitor

logger = logging.getLogger(__name__)

EDITABLE_FIELDS = (
    "name",
    "regions",
    "url",
    "method",
    "headers",
    "body",
    "expected_status",
    "keyword",
    "interval_seconds",
    "timeout_seconds",
    "paused",
    "track_contract",
    "failure_threshold",
    "recovery_threshold",
)


def monitor_create(
    *, organization: Organization, actor: Actor | None = None, now: datetime | None = None, **fields: Any
) -> Monitor:
    """Create a monitor; its first check is due at once. Fields are already validated."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown monitor fields: {sorted(unknown)}")
    monitor = Monitor(organization=organization, next_check_at=now or timezone.now(), **fields)
    if monitor.paused:
        monitor.state = Monitor.State.PAUSED
    with transaction.atomic():
        monitor.save()
        audit_record(organization=organization, actor=actor, action="monitor.created", target=monitor)
    logger.info("monitor created monitor=%s organization=%s", monitor.id, organization.id)
    return monitor


def monitor_update(
    *, monitor: Monitor, actor: Actor | None = None, now: datetime | None = None, **fields: Any
) -> Monitor:
    """Change a monitor. Resuming a paused monitor makes it pending and due at once.

    The audit row names the fields whose value changed, never the values (headers and
    bodies often hold credentials).
    """
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown monitor fields: {sorted(unknown)}")
    now = now or timezone.now()
    with transaction.atomic():
        monitor = Monitor.objects.select_for_update().get(id=monitor.id)
        was_paused = monitor.paused
        changed = sorted(name for name, value in fields.items() if getattr(monitor, name) != value)
        for name, value in fields.items():
            setattr(monitor, name, value)
        if monitor.paused and not was_paused:
            monitor.state = Monitor.State.PAUSED
            monitor.state_changed_at = now
        elif was_paused and not monitor.paused:
            monitor.state = Monitor.State.PENDING
            monitor.consecutive_failures = monitor.consecutive_successes = 0
            monitor.next_check_at = now
            monitor.state_changed_at = now
        elif "interval_seconds" in fields and monitor.next_check_at > now + timedelta(seconds=monitor.interval_seconds):
            monitor.next_check_at = now + timedelta(seconds=monitor.interval_seconds)
        monitor.save()
        audit_record(
            organization=monitor.organization,
            actor=actor,
            action="monitor.updated",
            target=monitor,
            data={"fields": changed},
        )
    logger.info("monitor updated monitor=%s fields=%s", monitor.id, ",".join(sorted(fields)))
    return monitor


def monitor_delete(*, monitor: Monitor, actor: Actor | None = None) -> None:
    """Delete a monitor and everything recorded for it."""
    monitor_id = monitor.id
    with transaction.atomic():
        audit_record(organization=monitor.organization, actor=actor, action="monitor.deleted", target=monitor)
        monitor.delete()
    logger.info("monitor deleted monitor=%s", monitor_id)


def monitor_claim_due(*, monitor_id: int, due_at: datetime, interval_seconds: int, now: datetime) -> bool:
    """Move a due monitor's next_check_at past `now`; False if another dispatcher claimed the slot first."""
    next_at = due_at + timedelta(seconds=interval_seconds)
    if next_at <= now:  # fell behind (worker down, long pause): skip missed slots
        next_at = now + timedelta(seconds=interval_seconds)
    claimed = Monitor.objects.filter(id=monitor_id, next_check_at=due_at, paused=False).update(next_check_at=next_at)
    return claimed == 1
