"""Moving a monitor's state after one stored result: region counts, the aggregate, maintenance, the outbox row.

Called by checks.services.check_result_record inside the transaction that stores the result, so a
redelivered slot (whose insert fails on the unique slot) moves nothing.
"""

from __future__ import annotations

import logging

from checks.models import CheckResult, MonitorRegionState, StatusChange
from checks.probes import ProbeOutcome
from checks.state import (
    PENDING,
    MonitorState,
    monitor_state,
    next_state,
    regions_down_needed,
    writes_status_change,
)
from checks.windows import maintenance_active_for
from monitors.models import Monitor

logger = logging.getLogger(__name__)

_MONITOR_FIELDS = [
    "state",
    "consecutive_failures",
    "consecutive_successes",
    "last_checked_at",
    "last_latency_ms",
    "last_status_code",
    "last_error",
    "state_changed_at",
]
# What apply_result reads of the locked monitor (and writes back): not its probe settings.
_LOCKED_FIELDS = [
    "id",
    "organization_id",
    "paused",
    "regions",
    "regions_down_threshold",
    "failure_threshold",
    "recovery_threshold",
    *_MONITOR_FIELDS,
]
_REGION_FIELDS = ["state", "consecutive_failures", "consecutive_successes", "last_result_at", "last_due_at"]


def apply_result(*, monitor_id: int, result: CheckResult, outcome: ProbeOutcome) -> StatusChange | None:
    """Advance the result's region and the monitor under the monitor's row lock; a StatusChange on a flip.

    The lock orders every region's results of one monitor, so M-of-N is decided on a consistent
    set of region rows. A paused monitor keeps its state; a result of a slot older than the one
    its region last applied (a late retry) is stored but moves nothing.
    Four statements in the common case: lock the monitor (only the columns used here), read its
    region rows (one query for the reporting region and the others), update the region row,
    update the monitor; maintenance windows come from a per-process cache (checks.windows).
    """
    monitor = Monitor.objects.select_for_update().only(*_LOCKED_FIELDS).get(id=monitor_id)
    if monitor.paused:
        return None  # paused while the probe ran: keep the result, leave the state alone
    if monitor.state == PENDING and monitor.state_changed_at is not None:
        # Resumed (monitor_update sets PENDING and zero counts): counts from before the pause
        # start over, so a region that was failing then needs K new failures to fail again.
        MonitorRegionState.objects.filter(monitor=monitor, last_result_at__lt=monitor.state_changed_at).update(
            state=PENDING, consecutive_failures=0, consecutive_successes=0
        )
    rows = {row.region: row for row in MonitorRegionState.objects.filter(monitor_id=monitor_id)}
    region_row = rows.get(result.region)
    if region_row is not None and region_row.last_due_at is not None and result.due_at < region_row.last_due_at:
        return None
    current = region_row or MonitorRegionState(monitor_id=monitor_id, region=result.region)
    region_after = next_state(
        MonitorState(current.state, current.consecutive_failures, current.consecutive_successes),
        ok=outcome.ok,
        degraded=outcome.degraded,
        failure_threshold=monitor.failure_threshold,
        recovery_threshold=monitor.recovery_threshold,
    )
    current.state = region_after.state
    current.consecutive_failures = region_after.consecutive_failures
    current.consecutive_successes = region_after.consecutive_successes
    current.last_result_at = outcome.started_at
    current.last_due_at = result.due_at
    if region_row is None:
        current.save(force_insert=True)
    else:
        current.save(update_fields=_REGION_FIELDS)
    rows[result.region] = current

    before = monitor.state
    regions = _regions_of(monitor=monitor, reporting=result.region)
    after = monitor_state(
        current=before,
        region_states=[rows[region].state if region in rows else PENDING for region in regions],
        down_needed=regions_down_needed(region_count=len(regions), configured=monitor.regions_down_threshold),
        in_maintenance=maintenance_active_for(monitor=monitor, now=outcome.started_at),
    )
    _copy_result(monitor=monitor, outcome=outcome, region_after=region_after)
    change = None
    if after != before:
        monitor.state = after
        monitor.state_changed_at = outcome.started_at
        logger.info("monitor state changed monitor=%s from=%s to=%s", monitor.id, before, after)
        if writes_status_change(before=before, after=after):
            change = StatusChange.objects.create(
                monitor=monitor,
                result=result,
                old_state=before,
                new_state=after,
                cause=_cause(outcome),
                created_at=outcome.started_at,
            )
    monitor.save(update_fields=_MONITOR_FIELDS)
    return change


def _regions_of(*, monitor: Monitor, reporting: str) -> list[str]:
    """The regions whose states make up the monitor's; a result from outside them is judged alone
    (a heartbeat recorded under its own region, or a late result after the regions were edited)."""
    regions = [str(r) for r in (monitor.regions or [])]
    return regions if reporting in regions else [reporting]


def _copy_result(*, monitor: Monitor, outcome: ProbeOutcome, region_after: MonitorState) -> None:
    # The monitor's counts are those of the region that reported last (one region: the monitor's own).
    monitor.consecutive_failures = region_after.consecutive_failures
    monitor.consecutive_successes = region_after.consecutive_successes
    monitor.last_checked_at = outcome.started_at
    monitor.last_latency_ms = outcome.latency_ms
    monitor.last_status_code = outcome.status_code
    monitor.last_error = outcome.error[:500]


def _cause(outcome: ProbeOutcome) -> str:
    if outcome.error:
        return outcome.error[:500]
    if outcome.degraded and outcome.details.get("slow"):
        return f"Slow: {outcome.latency_ms} ms"
    if outcome.status_code is not None:
        return f"HTTP {outcome.status_code}"
    return ""
