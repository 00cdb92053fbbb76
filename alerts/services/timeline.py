"""An incident's timeline: one IncidentEvent per thing that happened to it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from accounts.models import User
from alerts.models import Incident, IncidentEvent


def incident_event_add(
    *,
    incident: Incident,
    kind: str,
    message: str = "",
    data: dict[str, Any] | None = None,
    actor: User | None = None,
    at: datetime | None = None,
) -> IncidentEvent:
    """Append one line to `incident`'s timeline (kind is an IncidentEvent.Kind value)."""
    return IncidentEvent.objects.create(
        incident=incident, kind=kind, message=message[:2000], data=data or {}, actor=actor, at=at or timezone.now()
    )
