"""Heartbeat (push) monitors: record pings, and find the monitors whose ping is late.

A heartbeat monitor is never probed. The job it watches calls /ping/<token> (success),
/ping/<token>/start and /ping/<token>/fail; checks.check_heartbeats sweeps every 30 s for
monitors whose deadline passed. Both record results through checks.services.check_result_record
in the "push" region, so the state machine, incidents and notifications work as for probes.

The monitor's next_check_at (unused by the dispatcher for heartbeats, see monitors.selectors
.monitor_list_due) holds its current deadline, so the sweep reads only overdue rows through
monitor_due_idx.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction

from checks.models import CheckResult, HeartbeatPing
from checks.probes.outcome import ProbeOutcome
from checks.services import check_result_record
from monitors.models import Monitor

logger = logging.getLogger(__name__)

PUSH_REGION = "push"
MAX_DURATION_MS = 2**31 - 1  # PositiveIntegerField
SWEEP_BATCH = 500


@dataclass(frozen=True)
class Deadline:
    at: datetime
    kind: str  # "late": no ping for period + grace; "unfinished": a /start not followed within grace
    since: datetime  # the ping (or creation, or resume) the deadline counts from


def heartbeat_deadline(monitor: Monitor) -> Deadline:
    """When the monitor turns late if nothing arrives. Pure: reads only the monitor's fields.

    A pending /start wins: the job has `grace` to finish. Otherwise the next ping is due one
    `period` after the last one (or after creation, or after a resume: a pending monitor gets a
    full period from the moment it became pending), plus `grace`.
    """
    grace = timedelta(seconds=monitor.grace_seconds)
    if monitor.last_start_at is not None:
        return Deadline(at=monitor.last_start_at + grace, kind="unfinished", since=monitor.last_start_at)
    since = monitor.last_ping_at or monitor.created_at
    if monitor.state == Monitor.State.PENDING and monitor.state_changed_at and monitor.state_changed_at > since:
        since = monitor.state_changed_at
    return Deadline(at=since + timedelta(seconds=monitor.period_seconds) + grace, kind="late", since=since)


def humanize_seconds(seconds: float) -> str:
    """3900 -> "1 h 5 min"; 45 -> "45 s"; 90000 -> "1 d 1 h". Two largest units at most."""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}")
    return " ".join(parts[:2])


def heartbeat_ping_record(
    *,
    monitor: Monitor,
    kind: str,
    received_at: datetime,
    method: str,
    remote_addr: str | None,
    user_agent: str,
    body: str,
) -> HeartbeatPing:
    """Store one ping and move the monitor: start opens a run, success/fail close it and record a result.

    success: an OK result (details.duration_ms since a pending /start); fail: a failed result
    ("the job reported failure"). A paused monitor keeps the ping but records no result. The ping
    and the result are written in one transaction under the monitor's row lock, so a concurrent
    lateness sweep sees either the ping or nothing.
    """
    with transaction.atomic():
        locked = Monitor.objects.select_for_update().get(id=monitor.id)
        duration_ms = None
        if kind != HeartbeatPing.Kind.START and locked.last_start_at is not None:
            elapsed = (received_at - locked.last_start_at).total_seconds() * 1000
            duration_ms = min(max(0, round(elapsed)), MAX_DURATION_MS)
        ping = HeartbeatPing.objects.create(
            monitor=locked,
            kind=kind,
            received_at=received_at,
            method=method[:8],
            remote_addr=remote_addr or None,
            user_agent=user_agent[:200],
            body=body,
            duration_ms=duration_ms,
        )
        if kind == HeartbeatPing.Kind.START:
            locked.last_start_at = received_at
        else:
            locked.last_start_at = None
            locked.last_ping_at = received_at
        locked.next_check_at = heartbeat_deadline(locked).at
        locked.save(update_fields=["last_start_at", "last_ping_at", "next_check_at"])
        if kind != HeartbeatPing.Kind.START and not locked.paused:
            check_result_record(
                monitor=locked, region=PUSH_REGION, due_at=received_at, outcome=_ping_outcome(ping, duration_ms)
            )
    logger.info("heartbeat ping monitor=%s kind=%s duration_ms=%s", monitor.id, kind, duration_ms)
    return ping


def _ping_outcome(ping: HeartbeatPing, duration_ms: int | None) -> ProbeOutcome:
    details: dict[str, object] = {"ping": ping.kind, "ping_id": ping.id, "duration_ms": duration_ms}
    if ping.kind == HeartbeatPing.Kind.SUCCESS:
        return ProbeOutcome(started_at=ping.received_at, ok=True, details=details)
    return ProbeOutcome(
        started_at=ping.received_at,
        ok=False,
        error_kind="heartbeat_fail",
        error="The job reported failure.",
        details=details,
    )


def heartbeats_check_overdue(*, now: datetime, limit: int = SWEEP_BATCH) -> int:
    """Record a failed result for each unpaused heartbeat monitor whose deadline passed; returns how many.

    Idempotent: the result's slot is (monitor, "push", deadline), so a repeated sweep (or two beats)
    finds the slot taken and writes nothing; the monitor's next_check_at then moves one period on,
    so a silent job is not re-read every 30 s.
    """
    candidates = list(
        Monitor.objects.filter(kind=Monitor.Kind.HEARTBEAT, paused=False, next_check_at__lte=now)
        .order_by("next_check_at")
        .values_list("id", flat=True)[:limit]
    )
    recorded = 0
    for monitor_id in candidates:
        if _check_one(monitor_id=monitor_id, now=now):
            recorded += 1
    return recorded


def _check_one(*, monitor_id: int, now: datetime) -> bool:
    with transaction.atomic():
        monitor = Monitor.objects.select_for_update().filter(id=monitor_id, paused=False).first()
        if monitor is None or monitor.kind != Monitor.Kind.HEARTBEAT:
            return False
        deadline = heartbeat_deadline(monitor)
        if deadline.at > now:
            # A ping moved the deadline, or the monitor is new or was edited: just remember the deadline.
            Monitor.objects.filter(id=monitor.id).update(next_check_at=deadline.at)
            return False
        created = not CheckResult.objects.filter(monitor=monitor, region=PUSH_REGION, due_at=deadline.at).exists()
        if created:
            check_result_record(
                monitor=monitor, region=PUSH_REGION, due_at=deadline.at, outcome=_late_outcome(monitor, deadline)
            )
        # Look again one period later (a still-silent job records nothing new: the slot is the same).
        Monitor.objects.filter(id=monitor.id).update(
            next_check_at=max(now, deadline.at) + timedelta(seconds=max(monitor.period_seconds, 60))
        )
    if created:
        logger.info("heartbeat overdue monitor=%s kind=%s deadline=%s", monitor.id, deadline.kind, deadline.at)
    return created


def _late_outcome(monitor: Monitor, deadline: Deadline) -> ProbeOutcome:
    grace = humanize_seconds(monitor.grace_seconds)
    if deadline.kind == "unfinished":
        error = f"Started at {deadline.since.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC and did not finish within {grace}."
        error_kind = "heartbeat_unfinished"
    else:
        silent = humanize_seconds((deadline.at - deadline.since).total_seconds())
        period = humanize_seconds(monitor.period_seconds)
        error = f"No ping for {silent} (expected every {period}, grace {grace})."
        error_kind = "heartbeat_late"
    details: dict[str, object] = {
        "ping": "none",
        "deadline": deadline.at.isoformat(),
        "since": deadline.since.isoformat(),
    }
    return ProbeOutcome(started_at=deadline.at, ok=False, error_kind=error_kind, error=error, details=details)
