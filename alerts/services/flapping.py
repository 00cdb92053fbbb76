"""Flapping: more than ALERTS_FLAP_TRANSITIONS state changes within ALERTS_FLAP_WINDOW_MINUTES.

The change that crosses the line sends one "monitor.flapping" notice instead of its own alert;
from then on down/up notifications are created SUPPRESSED (kept, with the reason) until the
monitor has been stable, with no change for a whole window. Then one "monitor.stable" notice
says so, with its state (flapping_settle, every minute from beat, or the next change after a
quiet window). One spell, one notice each: the dedup keys name the spell's start.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from alerts.channels import EVENT_FLAPPING, EVENT_STABLE
from alerts.models import Incident, IncidentEvent, MonitorAlertState
from alerts.selectors import incident_get_open
from alerts.services.timeline import incident_event_add
from checks.models import StatusChange
from monitors.models import Monitor

logger = logging.getLogger(__name__)

FLAPPING = "Suppressed: the monitor is flapping; one notice was sent, the next says when it is stable."


def _window() -> timedelta:
    return timedelta(minutes=settings.ALERTS_FLAP_WINDOW_MINUTES)


def _transitions(*, monitor_id: int, now: datetime) -> int:
    return StatusChange.objects.filter(
        monitor_id=monitor_id, created_at__gt=now - _window(), created_at__lte=now
    ).count()


def flapping_observe(*, monitor: Monitor, incident: Incident | None, now: datetime) -> str:
    """Called for each down/up change; returns why its notifications are suppressed, or "" to send them."""
    from alerts.services.notify import notifications_enqueue  # noqa: PLC0415 - notify calls this module

    transitions = _transitions(monitor_id=monitor.id, now=now)
    with transaction.atomic():
        state, _ = MonitorAlertState.objects.select_for_update().get_or_create(monitor=monitor)
        if state.flapping_since is not None:
            if transitions > 1:
                return FLAPPING
            # Only this change in a whole window: the spell ended before it, unannounced so far.
            _settle(state=state, monitor=monitor, now=now)
            return ""
        if transitions <= settings.ALERTS_FLAP_TRANSITIONS:
            return ""
        state.flapping_since = state.flap_notice_at = now
        state.stable_since = None
        state.save(update_fields=["flapping_since", "flap_notice_at", "stable_since"])
    logger.info("monitor flapping monitor=%s transitions=%s", monitor.id, transitions)
    notifications_enqueue(
        monitor=monitor,
        event=EVENT_FLAPPING,
        dedup_key=f"flap:{monitor.id}:{int(now.timestamp())}",
        incident=incident,
        now=now,
        data={"transitions": transitions, "window_minutes": settings.ALERTS_FLAP_WINDOW_MINUTES},
    )
    if incident is not None:
        incident_event_add(
            incident=incident,
            kind=IncidentEvent.Kind.FLAPPING,
            message=f"{transitions} state changes within {settings.ALERTS_FLAP_WINDOW_MINUTES} minutes.",
            data={"transitions": transitions},
            at=now,
        )
    return FLAPPING


def flapping_settle(*, now: datetime | None = None) -> int:
    """End every flapping spell with no change for a whole window; returns how many ended."""
    now = now or timezone.now()
    ended = 0
    flapping = MonitorAlertState.objects.filter(flapping_since__isnull=False).select_related("monitor__organization")
    for state in flapping:
        last = StatusChange.objects.filter(monitor_id=state.monitor_id).aggregate(last=Max("created_at"))["last"]
        if last is not None and last > now - _window():
            continue
        with transaction.atomic():
            locked = MonitorAlertState.objects.select_for_update().filter(id=state.id, flapping_since__isnull=False)
            current = locked.first()
            if current is None:
                continue
            _settle(state=current, monitor=state.monitor, now=now)
            ended += 1
    return ended


def _settle(*, state: MonitorAlertState, monitor: Monitor, now: datetime) -> None:
    from alerts.services.notify import notifications_enqueue  # noqa: PLC0415

    spell = state.flapping_since
    state.flapping_since = None
    state.stable_since = now
    state.save(update_fields=["flapping_since", "stable_since"])
    monitor.refresh_from_db(fields=["state"])
    logger.info("monitor stable again monitor=%s state=%s", monitor.id, monitor.state)
    notifications_enqueue(
        monitor=monitor,
        event=EVENT_STABLE,
        dedup_key=f"stable:{monitor.id}:{int(spell.timestamp()) if spell else 0}",
        incident=incident_get_open(monitor_id=monitor.id),
        now=now,
    )
