"""Use cases of the monitors app: create, change, delete, claim a check slot."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Organization
from accounts.services import Actor, audit_record
from core.bulk import update_rows
from monitors.kinds import ALL_FIELDS, KIND_DEFAULTS
from monitors.models import Monitor
from monitors.schedule import first_check_at, next_due
from monitors.selectors import DueMonitor, monitor_list_due
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
    """Create a monitor; its first check is due within CHECKS_FIRST_CHECK_WITHIN_SECONDS. Fields are already validated.

    The first check is prompt for the person who adds one monitor, and spread by the id over
    that window when many are created at once (an import, a seed): see monitors.schedule.
    Later checks follow the monitor's own grid of slots, spread over the whole interval.
    A heartbeat monitor gets failure_threshold=1 unless given (one late ping pages); its
    next_check_at is its deadline, due at once so the sweep computes it.
    """
    _check_fields(fields)
    kind = fields.get("kind", Monitor.Kind.HTTP)
    for name, value in KIND_DEFAULTS.get(kind, {}).items():
        if fields.get(name) is None:
            fields[name] = value
    now = now or timezone.now()
    monitor = Monitor(organization=organization, next_check_at=now, **fields)
    _tidy_for_kind(monitor)
    if monitor.paused:
        monitor.state = Monitor.State.PAUSED
    with transaction.atomic():
        monitor.save()
        if monitor.kind != Monitor.Kind.HEARTBEAT:
            # The id decides the offset, so the first slot is set once the row has one.
            monitor.next_check_at = _first_check_at(monitor, now)
            Monitor.objects.filter(id=monitor.id).update(next_check_at=monitor.next_check_at)
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
    """Change a monitor. Resuming a paused monitor makes it pending, first check as for a new one.

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
            monitor.next_check_at = _first_check_at(monitor, now)
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


def _first_check_at(monitor: Monitor, now: datetime) -> datetime:
    if monitor.kind == Monitor.Kind.HEARTBEAT:
        return now  # a deadline, not a probe slot: the heartbeat sweep recomputes it at once
    return first_check_at(
        monitor_id=monitor.id,
        interval_seconds=monitor.interval_seconds,
        now=now,
        within_seconds=settings.CHECKS_FIRST_CHECK_WITHIN_SECONDS,
    )


@dataclass(frozen=True)
class ClaimedSlot:
    """One (monitor, due_at) slot a dispatcher now owns. `missed`: too late to run, skipped."""

    monitor_id: int
    due_at: datetime
    interval_seconds: int
    regions: list[str]
    missed: bool


def _is_missed(*, due_at: datetime, interval_seconds: int, now: datetime) -> bool:
    """A slot found later than min(interval, CHECKS_MISSED_AFTER_SECONDS) is skipped, not run.

    Running every overdue slot when beat comes back would fire them all in one second; each
    monitor's next slot (within one interval, at its own phase) checks it instead. Normal
    dispatch lag (well under a second) never comes near the limit.
    """
    return now - due_at >= timedelta(seconds=min(interval_seconds, settings.CHECKS_MISSED_AFTER_SECONDS))


def monitor_claim_due(*, monitor_id: int, due_at: datetime, interval_seconds: int, now: datetime) -> bool:
    """Claim one slot with a conditional UPDATE; False if another dispatcher claimed it first.

    Exact on every database (the row changes only if next_check_at is still `due_at`); used
    one row at a time where SKIP LOCKED is not available (SQLite).
    """
    next_at = next_due(due_at=due_at, interval_seconds=interval_seconds, now=now)
    claimed = Monitor.objects.filter(id=monitor_id, next_check_at=due_at, paused=False).update(next_check_at=next_at)
    return claimed == 1


def monitor_claim_due_batch(*, now: datetime, limit: int, until: datetime | None = None) -> list[ClaimedSlot]:
    """Claim up to `limit` slots due by `until` (default `now`), oldest first; move each monitor to its next slot.

    `until` a little past `now` claims slots just ahead of time (checks.services dispatches them
    early, to run at their due time); missed is judged against `now`.

    On PostgreSQL: one short transaction, `SELECT … FOR UPDATE SKIP LOCKED` then a single
    UPDATE for the whole batch, so two dispatchers (a second beat started by mistake) take
    disjoint rows without waiting for each other, and a slot is claimed exactly once. Elsewhere
    (SQLite has no SKIP LOCKED) one conditional UPDATE per row, equally exact.
    Missed slots (see _is_missed) are claimed too, so they move on, but flagged not to run.
    """
    until = max(until or now, now)
    if not connection.features.has_select_for_update_skip_locked:
        return [
            _slot(due, now)
            for due in monitor_list_due(now=until, limit=limit)
            if monitor_claim_due(
                monitor_id=due.id, due_at=due.next_check_at, interval_seconds=due.interval_seconds, now=now
            )
        ]
    with transaction.atomic():
        batch = monitor_list_due(now=until, limit=limit, skip_locked=True)
        moved = [
            Monitor(
                id=due.id,
                next_check_at=next_due(due_at=due.next_check_at, interval_seconds=due.interval_seconds, now=now),
            )
            for due in batch
        ]
        update_rows(Monitor, moved, ["next_check_at"])  # one UPDATE ... FROM (VALUES ...) for the batch
    return [_slot(due, now) for due in batch]


def _slot(due: DueMonitor, now: datetime) -> ClaimedSlot:
    missed = _is_missed(due_at=due.next_check_at, interval_seconds=due.interval_seconds, now=now)
    return ClaimedSlot(due.id, due.next_check_at, due.interval_seconds, due.regions, missed)
