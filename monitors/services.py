"""Use cases of the monitors app: create, change, delete, claim a check slot."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from accounts.services import Actor, audit_record
from monitors.kinds import ALL_FIELDS, KIND_DEFAULTS
from monitors.models import Monitor
from monitors.validators import is_secret_mask

logger = logging.getLogger(__name__)

# Every field a user may set; which of them a monitor uses depends on its kind (monitors.kinds).
EDITABLE_FIELDS = ALL_FIELDS


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown monitor fields: {sorted(unknown)}")


def _tidy_for_kind(monitor: Monitor) -> None:
    """Clear what the monitor's kind does not use: no URL outside http, no stored credential without auth."""
    if monitor.kind != Monitor.Kind.HTTP:
        monitor.url = ""
    if monitor.kind != Monitor.Kind.HTTP or monitor.auth_kind == Monitor.AuthKind.NONE:
        monitor.auth_secret = ""


def monitor_create(
    *, organization: Organization, actor: Actor | None = None, now: datetime | None = None, **fields: Any
) -> Monitor:
    """Create a monitor; its first check is due at once. Fields are already validated.

    A heartbeat monitor gets failure_threshold=1 unless given (one late ping pages).
    """
    _check_fields(fields)
    kind = fields.get("kind", Monitor.Kind.HTTP)
    for name, value in KIND_DEFAULTS.get(kind, {}).items():
        if fields.get(name) is None:
            fields[name] = value
    monitor = Monitor(organization=organization, next_check_at=now or timezone.now(), **fields)
    _tidy_for_kind(monitor)
    if monitor.paused:
        monitor.state = Monitor.State.PAUSED
    with transaction.atomic():
        monitor.save()
        audit_record(
            organization=organization,
            actor=actor,
            action="monitor.created",
            target=monitor,
            data={"kind": monitor.kind},
        )
    logger.info("monitor created monitor=%s organization=%s kind=%s", monitor.id, organization.id, monitor.kind)
    return monitor


def monitor_update(
    *, monitor: Monitor, actor: Actor | None = None, now: datetime | None = None, **fields: Any
) -> Monitor:
    """Change a monitor. Resuming a paused monitor makes it pending and due at once.

    `auth_secret` is write-only: left out, blank or the mask (validators.SECRET_MASK), the stored
    one stays. The audit row names the fields whose value changed, never the values (headers,
    bodies and secrets often hold credentials).
    """
    _check_fields(fields)
    secret = fields.get("auth_secret")
    if secret is not None and (not secret or is_secret_mask(secret)):
        del fields["auth_secret"]
    now = now or timezone.now()
    with transaction.atomic():
        monitor = Monitor.objects.select_for_update().get(id=monitor.id)
        was_paused = monitor.paused
        before = {name: getattr(monitor, name) for name in EDITABLE_FIELDS}
        for name, value in fields.items():
            setattr(monitor, name, value)
        _tidy_for_kind(monitor)
        changed = sorted(name for name in EDITABLE_FIELDS if getattr(monitor, name) != before[name])
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
        if monitor.kind == Monitor.Kind.HEARTBEAT and {"period_seconds", "grace_seconds"} & set(changed):
            # next_check_at holds a heartbeat's deadline: let the sweep recompute it now, so a
            # shorter period is noticed at the new deadline, not the old one.
            monitor.next_check_at = now
        monitor.save()
        audit_record(
            organization=monitor.organization,
            actor=actor,
            action="monitor.updated",
            target=monitor,
            data={"fields": changed},
        )
    logger.info("monitor updated monitor=%s fields=%s", monitor.id, ",".join(changed))
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
