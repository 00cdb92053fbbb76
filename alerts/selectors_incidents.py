"""Read-side queries for incidents (filtered lists, one with its timeline) and alert rules, tenant-scoped."""

from __future__ import annotations

from datetime import datetime

from django.db.models import F, Prefetch, Q, QuerySet

from accounts.models import Organization
from alerts.models import AlertRule, Incident, IncidentEvent
from monitors.models import Monitor

INCIDENT_STATES = ("open", "acknowledged", "resolved")
STATE_FILTERS = {
    "open": Q(resolved_at=None, acknowledged_at=None),
    "acknowledged": Q(resolved_at=None, acknowledged_at__isnull=False),
    "resolved": Q(resolved_at__isnull=False),
}


def incident_state(incident: Incident) -> str:
    """open, acknowledged (still open) or resolved."""
    if incident.resolved_at is not None:
        return "resolved"
    return "acknowledged" if incident.acknowledged_at is not None else "open"


def incident_list_filtered(
    *,
    organization: Organization,
    monitor_id: int | None = None,
    state: str | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Incident]:
    """The organisation's incidents newest first, filtered; opened in [since, until).

    Another tenant's monitor id matches nothing, like a missing one (TEN-02).
    """
    incidents = Incident.objects.filter(monitor__organization=organization).select_related(
        "monitor", "acknowledged_by", "resolved_by_user", "rule"
    )
    if monitor_id is not None:
        incidents = incidents.filter(monitor_id=monitor_id)
    if state:
        incidents = incidents.filter(STATE_FILTERS[state])
    if kind:
        incidents = incidents.filter(kind=kind)
    if since is not None:
        incidents = incidents.filter(opened_at__gte=since)
    if until is not None:
        incidents = incidents.filter(opened_at__lt=until)
    return incidents.order_by("-opened_at", "-id")


def incident_get_with_timeline(*, organization: Organization, incident_id: int) -> Incident | None:
    """One incident of the organisation with its timeline (oldest first) and the actors prefetched."""
    events = IncidentEvent.objects.select_related("actor").order_by("at", "id")
    return (
        incident_list_filtered(organization=organization)
        .prefetch_related(Prefetch("events", queryset=events))
        .filter(id=incident_id)
        .first()
    )


def alert_rule_list_for_organization(
    *, organization: Organization, monitor: Monitor | None = None, defaults_only: bool = False
) -> QuerySet[AlertRule]:
    """The organisation's rules (defaults first), or one monitor's own rules, or only the defaults."""
    rules = AlertRule.objects.filter(organization=organization).select_related("monitor").prefetch_related("channels")
    if monitor is not None:
        rules = rules.filter(monitor=monitor)
    elif defaults_only:
        rules = rules.filter(monitor=None)
    return rules.order_by(F("monitor_id").asc(nulls_first=True), "condition", "id")


def alert_rule_get(*, organization: Organization, rule_id: int) -> AlertRule | None:
    return alert_rule_list_for_organization(organization=organization).filter(id=rule_id).first()
