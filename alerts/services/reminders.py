"""Reminders: every rule.reminder_hours while an incident stays open and unacknowledged (off by default)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from alerts.models import Incident, IncidentEvent
from alerts.services.notify import notifications_enqueue
from alerts.services.rules import target_of
from alerts.services.timeline import incident_event_add

logger = logging.getLogger(__name__)

EVENT_REMINDER = "incident.reminder"
BATCH_SIZE = 500


def reminders_send(*, now: datetime | None = None, limit: int = BATCH_SIZE) -> int:
    """Send the reminders that are due; returns how many. Idempotent.

    Only incidents whose rule asks for reminders qualify (the implicit defaults never remind).
    Reminder n is claimed with a conditional UPDATE on reminders_sent and carries the dedup key
    remind:<incident>:<n>, so two sweeps never send one twice. After an outage of the sweep,
    one reminder goes out, not one per missed period.
    """
    now = now or timezone.now()
    incidents = (
        Incident.objects.filter(
            resolved_at=None, acknowledged_at=None, rule__enabled=True, rule__reminder_hours__isnull=False
        )
        .select_related("rule", "monitor__organization")
        .order_by("id")[:limit]
    )
    sent = 0
    for incident in incidents:
        rule = incident.rule
        assert rule is not None and rule.reminder_hours  # noqa: S101 - the query above
        if now - (incident.last_reminder_at or incident.opened_at) < timedelta(hours=rule.reminder_hours):
            continue
        number = incident.reminders_sent + 1
        with transaction.atomic():
            claimed = Incident.objects.filter(
                id=incident.id, reminders_sent=number - 1, resolved_at=None, acknowledged_at=None
            ).update(reminders_sent=number, last_reminder_at=now)
            if not claimed:
                continue  # acknowledged, resolved or reminded meanwhile
            incident_event_add(
                incident=incident,
                kind=IncidentEvent.Kind.REMINDER,
                message=f"Reminder {number}: still open and not acknowledged.",
                data={"number": number},
                at=now,
            )
            notifications_enqueue(
                monitor=incident.monitor,
                event=EVENT_REMINDER,
                dedup_key=f"remind:{incident.id}:{number}",
                incident=incident,
                rule=rule,
                channels=target_of(rule).channels,
                now=now,
            )
        sent += 1
        logger.info("reminder sent incident=%s number=%s", incident.id, number)
    return sent
