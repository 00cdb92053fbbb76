"""Processing the StatusChange outbox: incidents, their timeline, and the notifications the rules ask for.

DOWN opens an incident (kind down) and notifies the down rules' channels (a heartbeat monitor's
heartbeat_missed rules first); back to UP/DEGRADED resolves it and notifies the recovered rules
(with none, where the down went). DEGRADED pages only when a degraded rule says so.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from alerts.channels import EVENT_DOWN, EVENT_UP
from alerts.models import AlertRule, Incident, IncidentEvent
from alerts.selectors import incident_get_open
from alerts.services.incidents import incident_open, incident_resolve
from alerts.services.notify import notifications_enqueue
from alerts.services.rules import Target, notify_targets, rules_for, target_of, targets_for
from alerts.services.timeline import incident_event_add
from checks.models import CheckResult, MonitorRegionState, StatusChange
from checks.selectors import status_change_list_unprocessed, status_change_monitor_ids_unprocessed
from checks.services import status_change_claim
from monitors.models import Monitor

logger = logging.getLogger(__name__)

DOWN, UP, DEGRADED = "down", "up", "degraded"
# Back from DOWN, even if slow: the outage is over (DEGRADED itself never pages).
RECOVERED = frozenset({UP, DEGRADED})
EVENT_DEGRADED = "monitor.degraded"
BATCH_SIZE = 500
Condition = AlertRule.Condition


def status_changes_process(*, now: datetime | None = None, limit: int = BATCH_SIZE) -> int:
    """Claim and handle unprocessed StatusChange rows, oldest first; returns how many this call handled.

    Safe to run concurrently and repeatedly: each row is handled once. Notifications are
    enqueued when their transaction commits.
    """
    now = now or timezone.now()
    handled = 0
    for monitor_id in status_change_monitor_ids_unprocessed(limit=limit):
        try:
            handled += _process_monitor(monitor_id=monitor_id, now=now)
        except Exception:
            # One bad row must not hold up every other monitor's alerts; it stays
            # unprocessed (the transaction rolled back) and is retried by the next sweep.
            logger.exception("status change processing failed monitor=%s", monitor_id)
    return handled


@transaction.atomic
def _process_monitor(*, monitor_id: int, now: datetime) -> int:
    # The monitor's row lock puts two workers handling flips of one monitor in order:
    # a DOWN must open its incident before the UP after it looks for one.
    monitor = Monitor.objects.select_for_update().filter(id=monitor_id).first()
    if monitor is None:
        return 0  # deleted; its changes went with it
    handled = 0
    for change in status_change_list_unprocessed(monitor_id=monitor_id):
        if status_change_claim(status_change_id=change.id, now=now):
            _handle(change=change, monitor=monitor)
            handled += 1
    return handled


def _handle(*, change: StatusChange, monitor: Monitor) -> None:
    if change.new_state != DEGRADED:
        _resolve_degraded(change=change, monitor=monitor)
    incident = incident_get_open(monitor_id=monitor.id)
    if change.new_state == DOWN:
        _down(change=change, monitor=monitor, incident=incident)
    elif change.new_state in RECOVERED and incident is not None:
        if incident_resolve(
            incident=incident, at=change.created_at, message=_recovered_text(change), resolved_by=change
        ):
            _notify_recovery(change=change, incident=incident)
    if change.new_state == DEGRADED:
        _degraded(change=change, monitor=monitor)
    # Anything else sends nothing: pending -> up is a first success, not a recovery; paused is
    # a user's choice, not an event.


def _down(*, change: StatusChange, monitor: Monitor, incident: Incident | None) -> None:
    if incident is not None:
        # Down again while the incident is open (left maintenance still down): same incident.
        _record_failure(change=change, incident=incident)
        return
    targets = _down_targets(monitor)
    rule = _reminding_rule(targets)
    incident, created = incident_open(
        monitor=monitor, kind=Incident.Kind.DOWN, cause=change.cause, at=change.created_at, rule=rule, opened_by=change
    )
    _record_failure(change=change, incident=incident)
    if created:
        notify_targets(
            targets=targets,
            monitor=monitor,
            incident=incident,
            event=EVENT_DOWN,
            dedup_key=f"sc:{change.id}",
            now=change.created_at,
            status_change=change,
        )


def _down_targets(monitor: Monitor) -> list[Target]:
    """A heartbeat monitor's DOWN is a missed heartbeat: its heartbeat_missed rules, if any, replace the down ones."""
    if monitor.kind == Monitor.Kind.HEARTBEAT:
        targets = targets_for(monitor=monitor, condition=Condition.HEARTBEAT_MISSED)
        if targets:
            return targets
    return targets_for(monitor=monitor, condition=Condition.DOWN)


def _reminding_rule(targets: list[Target]) -> AlertRule | None:
    """The rule an incident remembers: the one reminding most often, else the first."""
    rules = [t.rule for t in targets if t.rule is not None]
    reminding = sorted((r for r in rules if r.reminder_hours), key=lambda r: r.reminder_hours or 0)
    return (reminding or rules or [None])[0]


def _notify_recovery(*, change: StatusChange, incident: Incident) -> None:
    """The recovered rules' channels; with none, where the outage went (a heartbeat's missed-heartbeat rules too)."""
    monitor = incident.monitor
    rules = rules_for(monitor=monitor, condition=Condition.RECOVERED)
    notify_targets(
        suppress=False,
        targets=[target_of(rule) for rule in rules] or _down_targets(monitor),
        monitor=monitor,
        incident=incident,
        event=EVENT_UP,
        dedup_key=f"sc:{change.id}",
        now=change.created_at,
        status_change=change,
    )


def _degraded(*, change: StatusChange, monitor: Monitor) -> None:
    targets = targets_for(monitor=monitor, condition=Condition.DEGRADED)
    if not targets:
        return  # no rule: DEGRADED alone never pages
    incident, created = incident_open(
        monitor=monitor,
        kind=Incident.Kind.DEGRADED,
        cause=change.cause or "Degraded",
        at=change.created_at,
        rule=_reminding_rule(targets),
        opened_by=change,
    )
    if created:
        notify_targets(
            targets=targets,
            monitor=monitor,
            incident=incident,
            # Not linked to the change: a DOWN -> DEGRADED change also sends the recovery, and
            # (status_change, channel) is unique.
            event=EVENT_DEGRADED,
            dedup_key=f"sc:{change.id}:degraded",
            now=change.created_at,
        )


def _resolve_degraded(*, change: StatusChange, monitor: Monitor) -> None:
    incident = incident_get_open(monitor_id=monitor.id, kind=Incident.Kind.DEGRADED)
    if incident is not None:
        incident_resolve(incident=incident, at=change.created_at, message=f"No longer degraded: {change.new_state}.")


def _record_failure(*, change: StatusChange, incident: Incident) -> None:
    """The failing check and the regions behind the flip, on the timeline (one or two rows per flip, not per result)."""
    # Looked up, not change.result: the result may be gone with its day partition (no DB constraint).
    result = CheckResult.objects.filter(id=change.result_id).first() if change.result_id else None
    data: dict[str, object] = {"status_change": change.id}
    if result is not None:
        data |= {"region": result.region, "status_code": result.status_code, "error_kind": result.error_kind}
    incident_event_add(
        incident=incident, kind=IncidentEvent.Kind.CHECK_FAILED, message=change.cause, data=data, at=change.created_at
    )
    regions = [str(r) for r in (incident.monitor.regions or [])]
    if len(regions) > 1:
        failing = sorted(
            MonitorRegionState.objects.filter(
                monitor_id=incident.monitor_id, region__in=regions, state=DOWN
            ).values_list("region", flat=True)
        )
        incident_event_add(
            incident=incident,
            kind=IncidentEvent.Kind.REGION,
            message=f"Failing in {len(failing)} of {len(regions)} regions: {', '.join(failing) or 'none'}.",
            data={"failing": failing, "regions": regions},
            at=change.created_at,
        )


def _recovered_text(change: StatusChange) -> str:
    return "Recovered." if change.new_state == UP else "Recovered (degraded)."


def notifications_create(*, status_change: StatusChange, incident: Incident, event: str) -> list[int]:
    """One Notification per enabled channel for a state change; idempotent (see notifications_enqueue)."""
    return notifications_enqueue(
        monitor=incident.monitor,
        event=event,
        dedup_key=f"sc:{status_change.id}",
        incident=incident,
        status_change=status_change,
        now=status_change.created_at,
    )
