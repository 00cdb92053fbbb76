"""The frozen payload of a notification: the event rendered once, when its row is created.

Every retry sends the same body. The shape is the webhook body of API.md,
`{type, timestamp, data: {monitor: {id, name, url}, incident: {id, opened_at, resolved_at, cause}, state}}`;
other events add keys to `data` (a digest's `monitors`, a drift's `drift`, a rule's `rule`).
Every other channel kind renders its message from this payload (alerts.channels.<kind>.render).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alerts.channels import EVENT_UP, isoformat
from alerts.models import AlertRule, Incident
from checks.models import DriftEvent, StatusChange
from monitors.models import Monitor


def monitor_payload(monitor: Monitor | None) -> dict[str, Any] | None:
    return {"id": monitor.id, "name": monitor.name, "url": monitor.url} if monitor else None


def incident_payload(incident: Incident | None, *, event: str) -> dict[str, Any] | None:
    if incident is None:
        return None
    # A DOWN message says "open" even when it is sent after the recovery.
    resolved_at = incident.resolved_at if event == EVENT_UP else None
    return {
        "id": incident.id,
        "opened_at": isoformat(incident.opened_at),
        "resolved_at": isoformat(resolved_at),
        "cause": incident.cause,
    }


def payload_build(
    *,
    monitor: Monitor | None,
    event: str,
    now: datetime,
    incident: Incident | None = None,
    status_change: StatusChange | None = None,
    drift_event: DriftEvent | None = None,
    rule: AlertRule | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "monitor": monitor_payload(monitor),
        "incident": incident_payload(incident, event=event),
        "state": status_change.new_state if status_change else (monitor.state if monitor else None),
    }
    if drift_event is not None:
        body["drift"] = {
            "id": drift_event.id,
            "severity": drift_event.severity,
            "detected_at": isoformat(drift_event.detected_at),
            "changes": drift_event.changes,
        }
    if rule is not None:
        body["rule"] = {"id": rule.id, "name": str(rule), "condition": rule.condition}
    body.update(data or {})
    return {
        "type": event,
        "timestamp": isoformat(status_change.created_at if status_change else now),
        "data": body,
    }
