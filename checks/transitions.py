"""Moving a monitor's state after one stored result: region counts, the aggregate, maintenance, the outbox row.

Called by checks.services (one result or a batch) inside the transaction that stores the results,
so a redelivered slot (whose insert fails on the unique slot) moves nothing.
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
from core.bulk import update_rows
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
# What apply_results reads of the locked monitors (and writes back): not its probe settings.
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


def apply_results(*, applied: list[tuple[CheckResult, ProbeOutcome]]) -> list[StatusChange]:
    """Advance each result's region and monitor under the monitors' row locks; a StatusChange per flip.

    The results (any monitors, any regions) were just stored in the caller's transaction. The lock
    orders every region's results of one monitor, so M-of-N is decided on a consistent set of
    region rows; monitors are locked in id order, so two batches never deadlock. A paused monitor
    keeps its state; a result of a slot older than the one its region last applied (a late retry)
    is stored but moves nothing. Results of one monitor are applied in slot order.
    Set-based, whatever the number of results (issue 5, write path): one statement locks the
    monitors (only the columns used here), one reads their region rows, then one insert of new
    region rows, one update of changed ones, one update of the monitors and one insert of
    StatusChanges where something flipped; maintenance windows come from a per-process cache
    (checks.windows).
    """
    if not applied:
        return []
    monitor_ids = sorted({result.monitor_id for result, _ in applied})
    monitors = {
        monitor.id: monitor
        for monitor in Monitor.objects.select_for_update()
        .only(*_LOCKED_FIELDS)
        .filter(id__in=monitor_ids)
        .order_by("id")
    }
    rows: dict[int, dict[str, MonitorRegionState]] = {}
    for row in MonitorRegionState.objects.filter(monitor_id__in=monitor_ids):
        rows.setdefault(row.monitor_id, {})[row.region] = row
    changed_rows: dict[int, MonitorRegionState] = {}  # pk -> existing row to update
    new_rows: dict[tuple[int, str], MonitorRegionState] = {}
    moved: dict[int, Monitor] = {}
    changes: list[StatusChange] = []
    for monitor in monitors.values():
        if monitor.paused or monitor.state != PENDING or monitor.state_changed_at is None:
            continue
        # Resumed (monitor_update sets PENDING and zero counts): counts from before the pause
        # start over, so a region that was failing then needs K new failures to fail again.
        for row in rows.get(monitor.id, {}).values():
            if row.last_result_at is not None and row.last_result_at < monitor.state_changed_at:
                row.state, row.consecutive_failures, row.consecutive_successes = PENDING, 0, 0
                changed_rows[row.pk] = row
    for result, outcome in sorted(applied, key=lambda item: (item[0].monitor_id, item[0].due_at)):
        monitor = monitors.get(result.monitor_id)
        if monitor is None or monitor.paused:
            continue  # deleted, or paused while the probe ran: keep the result, leave the state alone
        region_rows = rows.setdefault(monitor.id, {})
        region_row = region_rows.get(result.region)
        if region_row is not None and region_row.last_due_at is not None and result.due_at < region_row.last_due_at:
            continue
        if region_row is None:
            region_row = MonitorRegionState(monitor_id=monitor.id, region=result.region)
            region_rows[result.region] = new_rows[(monitor.id, result.region)] = region_row
        elif region_row.pk is not None:
            changed_rows[region_row.pk] = region_row
        change = _advance(monitor=monitor, region_rows=region_rows, result=result, outcome=outcome)
        moved[monitor.id] = monitor
        if change is not None:
            changes.append(change)
    if new_rows:
        MonitorRegionState.objects.bulk_create(list(new_rows.values()))
    if changed_rows:
        update_rows(MonitorRegionState, list(changed_rows.values()), _REGION_FIELDS)
    if moved:
        update_rows(Monitor, list(moved.values()), _MONITOR_FIELDS)
    if changes:
        StatusChange.objects.bulk_create(changes)
    return changes


def _advance(
    *, monitor: Monitor, region_rows: dict[str, MonitorRegionState], result: CheckResult, outcome: ProbeOutcome
) -> StatusChange | None:
    """One result through the state machine, in memory: its region row, then the monitor's aggregate."""
    current = region_rows[result.region]
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

    before = monitor.state
    regions = _regions_of(monitor=monitor, reporting=result.region)
    after = monitor_state(
        current=before,
        region_states=[region_rows[region].state if region in region_rows else PENDING for region in regions],
        down_needed=regions_down_needed(region_count=len(regions), configured=monitor.regions_down_threshold),
        in_maintenance=maintenance_active_for(monitor=monitor, now=outcome.started_at),
    )
    _copy_result(monitor=monitor, outcome=outcome, region_after=region_after)
    if after == before:
        return None
    monitor.state = after
    monitor.state_changed_at = outcome.started_at
    logger.info("monitor state changed monitor=%s from=%s to=%s", monitor.id, before, after)
    if not writes_status_change(before=before, after=after):
        return None
    return StatusChange(
        monitor_id=monitor.id,
        result=result,
        old_state=before,
        new_state=after,
        cause=_cause(outcome),
        created_at=outcome.started_at,
    )


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
