"""Contract drift as an alert condition: the consumer of checks' DriftEvent outbox (processed_at empty).

A drift rule's min_severity filters events; with no drift rule, a breaking drift notifies every
enabled channel and an additive one only when the monitor asks for it (contract_alert_additive).
An event that notifies opens (or joins) the monitor's drift incident; accepting every event
since it opened resolves it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from alerts.models import AlertRule, Incident, IncidentEvent
from alerts.services.incidents import incident_open, incident_resolve
from alerts.services.rules import IMPLICIT, Target, notify_targets, rules_for, target_of
from alerts.services.timeline import incident_event_add
from checks.drift import drift_event_claim
from checks.models import DriftEvent
from monitors.models import Monitor

logger = logging.getLogger(__name__)

EVENT_DRIFT = "contract.drift"
BATCH_SIZE = 200
CHANGES_NAMED = 3  # changes spelled out in the incident's cause; the rest are counted


def drift_events_process(*, now: datetime | None = None, limit: int = BATCH_SIZE) -> int:
    """Claim and handle unprocessed drift events, oldest first; returns how many this call handled.

    Safe to run concurrently and repeatedly (conditional-UPDATE claim; dedup key drift:<id>).
    Also resolves drift incidents whose events have all been accepted.
    """
    now = now or timezone.now()
    ids = list(
        DriftEvent.objects.filter(processed_at=None).order_by("detected_at", "id").values_list("id", flat=True)[:limit]
    )
    handled = 0
    for drift_event_id in ids:
        try:
            with transaction.atomic():
                if not drift_event_claim(drift_event_id=drift_event_id, now=now):
                    continue
                event = DriftEvent.objects.select_related("monitor__organization").get(id=drift_event_id)
                _handle(event=event)
                handled += 1
        except Exception:
            logger.exception("drift event processing failed drift_event=%s", drift_event_id)
    drift_incidents_resolve_accepted(now=now)
    return handled


def drift_targets(*, event: DriftEvent) -> list[Target]:
    """Who hears about one drift event (empty: nobody; it stays recorded on the monitor)."""
    monitor: Monitor = event.monitor
    breaking = event.severity == DriftEvent.Severity.BREAKING
    rules = rules_for(monitor=monitor, condition=AlertRule.Condition.DRIFT)
    if rules:
        return [target_of(r) for r in rules if breaking or r.min_severity == AlertRule.Severity.ADDITIVE]
    return [IMPLICIT] if breaking or monitor.contract_alert_additive else []


def drift_summary(event: DriftEvent) -> str:
    changes = [c for c in (event.changes or []) if isinstance(c, dict)]
    named = ", ".join(f"{c.get('path', '?')} {c.get('change', 'changed')}" for c in changes[:CHANGES_NAMED])
    more = f" and {len(changes) - CHANGES_NAMED} more" if len(changes) > CHANGES_NAMED else ""
    return f"Contract drift ({event.severity}): {named or 'the response shape changed'}{more}."


def _handle(*, event: DriftEvent) -> None:
    targets = drift_targets(event=event)
    if not targets:
        logger.info("drift event not alerted drift_event=%s severity=%s", event.id, event.severity)
        return
    text = drift_summary(event)
    rule = next((t.rule for t in targets if t.rule is not None), None)
    incident, created = incident_open(
        monitor=event.monitor,
        kind=Incident.Kind.DRIFT,
        cause=text,
        at=event.detected_at,
        rule=rule,
        data={"drift_event": event.id, "severity": event.severity},
    )
    if not created:
        incident_event_add(
            incident=incident,
            kind=IncidentEvent.Kind.CHECK_FAILED,
            message=text,
            data={"drift_event": event.id, "severity": event.severity},
            at=event.detected_at,
        )
    notify_targets(
        targets=targets,
        monitor=event.monitor,
        incident=incident,
        event=EVENT_DRIFT,
        dedup_key=f"drift:{event.id}",
        now=event.detected_at,
        drift_event=event,
    )


def drift_incidents_resolve_accepted(*, now: datetime, limit: int = BATCH_SIZE) -> int:
    """Resolve open drift incidents whose drift events (since the incident opened) are all accepted."""
    resolved = 0
    for incident in Incident.objects.filter(kind=Incident.Kind.DRIFT, resolved_at=None).order_by("id")[:limit]:
        pending = DriftEvent.objects.filter(
            monitor_id=incident.monitor_id, detected_at__gte=incident.opened_at, accepted_at=None
        )
        if not pending.exists():
            with transaction.atomic():
                resolved += incident_resolve(incident=incident, at=now, message="The new contract was accepted.")
    return resolved
