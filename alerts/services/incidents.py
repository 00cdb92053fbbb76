"""Incident use cases: open, resolve (by a state change, a cleared rule, or a person), acknowledge, comment.

Every one of them writes a line on the incident's timeline (alerts.services.timeline).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.services import Actor, audit_record
from alerts.models import AlertRule, Incident, IncidentEvent, RuleFiring
from alerts.services.timeline import incident_event_add
from checks.models import StatusChange
from monitors.models import Monitor

logger = logging.getLogger(__name__)

MAX_COMMENT_CHARS = 2000


@dataclass(frozen=True)
class IncidentDurations:
    """Seconds: how long it lasted (so far, while open), until someone acknowledged it, until it was resolved."""

    duration_seconds: int
    time_to_acknowledge_seconds: int | None
    time_to_resolve_seconds: int | None


def incident_durations(*, incident: Incident, now: datetime | None = None) -> IncidentDurations:
    """Durations of one incident; an open one's duration runs to `now`."""
    end = incident.resolved_at or now or timezone.now()

    def since_open(moment: datetime | None) -> int | None:
        return None if moment is None else max(0, int((moment - incident.opened_at).total_seconds()))

    return IncidentDurations(
        duration_seconds=since_open(end) or 0,
        time_to_acknowledge_seconds=since_open(incident.acknowledged_at),
        time_to_resolve_seconds=since_open(incident.resolved_at),
    )


def incident_open(
    *,
    monitor: Monitor,
    kind: str,
    cause: str,
    at: datetime,
    rule: AlertRule | None = None,
    opened_by: StatusChange | None = None,
    data: dict[str, object] | None = None,
) -> tuple[Incident, bool]:
    """The monitor's open incident of `kind`, opened now if there is none; (incident, created).

    At most one is open per monitor and kind (incident_one_open_per_kind): a racing opener gets
    the one that won. Call inside a transaction.
    """
    existing = Incident.objects.filter(monitor=monitor, kind=kind, resolved_at=None).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                monitor=monitor, kind=kind, rule=rule, opened_at=at, cause=cause[:500], opened_by=opened_by
            )
    except IntegrityError:
        return Incident.objects.get(monitor=monitor, kind=kind, resolved_at=None), False
    incident_event_add(incident=incident, kind=IncidentEvent.Kind.OPENED, message=cause, data=data or {}, at=at)
    logger.info("incident opened incident=%s monitor=%s kind=%s", incident.id, monitor.id, kind)
    return incident, True


def incident_resolve(
    *, incident: Incident, at: datetime, message: str, resolved_by: StatusChange | None = None
) -> bool:
    """Resolve an open incident automatically (a state change, a cleared rule); False if it was already resolved."""
    updated = Incident.objects.filter(id=incident.id, resolved_at=None).update(resolved_at=at, resolved_by=resolved_by)
    if not updated:
        return False
    incident.resolved_at = at
    incident.resolved_by = resolved_by
    incident_event_add(incident=incident, kind=IncidentEvent.Kind.RESOLVED, message=message, at=at)
    logger.info("incident resolved incident=%s monitor=%s", incident.id, incident.monitor_id)
    return True


def _audit(*, incident: Incident, actor: Actor | None, action: str, data: dict[str, object] | None = None) -> None:
    audit_record(
        organization=incident.monitor.organization, actor=actor, action=action, target=incident, data=data or {}
    )


@transaction.atomic
def incident_acknowledge(*, incident: Incident, actor: Actor, now: datetime | None = None) -> Incident:
    """Acknowledge an open incident: stops its reminders. Acknowledging twice changes nothing.

    Raises ValidationError for a resolved incident.
    """
    now = now or timezone.now()
    if incident.resolved_at is not None:
        raise ValidationError({"incident": ["This incident is resolved already."]})
    updated = Incident.objects.filter(id=incident.id, acknowledged_at=None).update(
        acknowledged_at=now, acknowledged_by=actor.user
    )
    if updated:
        incident.acknowledged_at, incident.acknowledged_by = now, actor.user
        incident_event_add(
            incident=incident, kind=IncidentEvent.Kind.ACKNOWLEDGED, message="Acknowledged.", actor=actor.user, at=now
        )
        _audit(incident=incident, actor=actor, action="incident.acknowledged")
    else:
        incident.refresh_from_db()
    return incident


def incident_comment_add(*, incident: Incident, actor: Actor, body: str, now: datetime | None = None) -> IncidentEvent:
    """Add a person's comment to the timeline. Raises ValidationError for an empty or too long body."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": ["Write something."]})
    if len(body) > MAX_COMMENT_CHARS:
        raise ValidationError({"body": [f"At most {MAX_COMMENT_CHARS} characters."]})
    return incident_event_add(
        incident=incident, kind=IncidentEvent.Kind.COMMENT, message=body, actor=actor.user, at=now or timezone.now()
    )


@transaction.atomic
def incident_resolve_by_hand(*, incident: Incident, actor: Actor, now: datetime | None = None) -> Incident:
    """A person closes the incident. Raises ValidationError when it is resolved already.

    The monitor's state is not touched: if it is still down, no new incident opens until it
    recovers and fails again (a windowed rule's firing stays open until its condition clears).
    """
    now = now or timezone.now()
    updated = Incident.objects.filter(id=incident.id, resolved_at=None).update(
        resolved_at=now, resolved_by_user=actor.user
    )
    if not updated:
        raise ValidationError({"incident": ["This incident is resolved already."]})
    incident.resolved_at, incident.resolved_by_user = now, actor.user
    incident_event_add(
        incident=incident, kind=IncidentEvent.Kind.RESOLVED, message="Resolved by hand.", actor=actor.user, at=now
    )
    _audit(incident=incident, actor=actor, action="incident.resolved")
    return incident


def rule_firings_retire(*, firings: Iterable[RuleFiring], now: datetime, reason: str) -> int:
    """Close firings whose rule no longer watches their monitor (rule disabled or deleted, monitor
    paused or given its own rule); an incident no other firing holds open resolves, without a page."""
    retired = 0
    for firing in firings:
        with transaction.atomic():
            if not RuleFiring.objects.filter(id=firing.id, cleared_at=None).update(cleared_at=now):
                continue
            incident = firing.incident
            if incident is not None and not RuleFiring.objects.filter(incident=incident, cleared_at=None).exists():
                incident_resolve(incident=incident, at=now, message=reason)
        retired += 1
    return retired
