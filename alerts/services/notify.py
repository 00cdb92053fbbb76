"""The one way a notification is made: notifications_enqueue decides who gets an event, then queues it.

Every producer (state changes, drift events, windowed rules, reminders, flapping notices, digests)
calls it with a dedup_key naming the event; (channel, dedup_key) is unique, so calling it twice for
one event adds nothing. The payload is rendered once, here, so every retry sends the same body.
Rows are created SUPPRESSED (kept, never sent, the reason in last_error) while the monitor is in a
maintenance window, while it flaps (down/up only) and for an email address that opted out. A DOWN or
UP waits ALERTS_DIGEST_HOLD_SECONDS, so a burst of them can fold into one digest (alerts.services.digest).
Deliveries are enqueued when the surrounding transaction commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from alerts.channels import EVENT_DOWN, EVENT_UP
from alerts.models import AlertRule, Channel, EmailOptOut, Incident, IncidentEvent, Notification
from alerts.selectors import channel_list_enabled
from alerts.services.flapping import flapping_observe
from alerts.services.payloads import payload_build
from alerts.services.timeline import incident_event_add
from alerts.tasks import deliver_notification_enqueue
from checks.models import DriftEvent, StatusChange
from monitors.models import Monitor
from monitors.selectors import maintenance_window_active_for

logger = logging.getLogger(__name__)

MAINTENANCE = "Suppressed: the monitor is in a maintenance window."
OPTED_OUT = "Suppressed: this address unsubscribed from this kind of mail."


def notifications_enqueue(
    *,
    monitor: Monitor,
    event: str,
    dedup_key: str,
    incident: Incident | None = None,
    status_change: StatusChange | None = None,
    drift_event: DriftEvent | None = None,
    rule: AlertRule | None = None,
    channels: Iterable[Channel] | None = None,
    now: datetime | None = None,
    data: dict[str, Any] | None = None,
    hold: bool | None = None,
) -> list[int]:
    """One Notification per channel (given, else every enabled channel of the monitor's organisation).

    Returns the ids of the rows this call created, suppressed ones included. Idempotent on
    (channel, dedup_key). `data` adds keys to the payload's data; `hold` (default: DOWN and UP
    events) lets the notification wait for a digest.
    """
    now = now or timezone.now()
    targets = _new_targets(monitor=monitor, dedup_key=dedup_key, channels=channels)
    if not targets:
        return []
    related = {"incident": incident, "status_change": status_change, "drift_event": drift_event, "rule": rule}
    payload = payload_build(monitor=monitor, event=event, now=now, data=data, **related)
    reason = _silence_reason(monitor=monitor, event=event, status_change=status_change, incident=incident, now=now)
    holds = event in (EVENT_DOWN, EVENT_UP) if hold is None else hold
    due = now + timedelta(seconds=max(settings.ALERTS_DIGEST_HOLD_SECONDS if holds else 0, 0))
    opted_out = _opted_out(monitor=monitor, event=event, channels=targets)
    rows = []
    for channel in targets:
        why = reason or (OPTED_OUT if channel.id in opted_out else "")
        status = Notification.Status.SUPPRESSED if why else Notification.Status.PENDING
        rows.append(
            Notification(
                channel=channel,
                monitor=monitor,
                event=event,
                dedup_key=dedup_key,
                payload=payload,
                status=status,
                last_error=why,
                created_at=now,
                next_attempt_at=due,
                **related,
            )
        )
    # A concurrent writer of the same pair wins; nothing is sent twice.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    created = list(
        Notification.objects.filter(dedup_key=dedup_key, channel__in=targets).values_list("id", "status", "last_error")
    )
    _after_create(created=created, incident=incident, event=event, due=due, now=now)
    logger.info(
        "notifications created monitor=%s event=%s dedup_key=%s count=%s", monitor.id, event, dedup_key, len(created)
    )
    return [nid for nid, _, _ in created]


def _new_targets(*, monitor: Monitor, dedup_key: str, channels: Iterable[Channel] | None) -> list[Channel]:
    """The enabled channels (given, else the organisation's) that have no notification for dedup_key yet."""
    targets = (
        [c for c in channels if not c.disabled]
        if channels is not None
        else list(channel_list_enabled(organization=monitor.organization))
    )
    existing = set(
        Notification.objects.filter(dedup_key=dedup_key, channel__in=targets).values_list("channel_id", flat=True)
    )
    return [c for c in targets if c.id not in existing]


def _after_create(
    *, created: list[tuple[int, str, str]], incident: Incident | None, event: str, due: datetime, now: datetime
) -> None:
    """Queue the pending rows' deliveries on commit; note the suppressed ones on the incident's timeline."""
    delay = max((due - timezone.now()).total_seconds(), 0.0)
    for notification_id, status, _ in created:
        if status == Notification.Status.PENDING:
            transaction.on_commit(lambda nid=notification_id: deliver_notification_enqueue(nid, delay_seconds=delay))
    suppressed = [(nid, why) for nid, status, why in created if status == Notification.Status.SUPPRESSED]
    if incident is not None and suppressed:
        incident_event_add(
            incident=incident,
            kind=IncidentEvent.Kind.SUPPRESSED,
            message=f"{event}: {suppressed[0][1]}",
            data={"event": event, "notifications": [nid for nid, _ in suppressed]},
            at=now,
        )


def _silence_reason(
    *, monitor: Monitor, event: str, status_change: StatusChange | None, incident: Incident | None, now: datetime
) -> str:
    if maintenance_window_active_for(monitor=monitor, now=now) is not None:
        return MAINTENANCE
    if status_change is not None and event in (EVENT_DOWN, EVENT_UP):
        return flapping_observe(monitor=monitor, incident=incident, now=now)
    return ""


def _opted_out(*, monitor: Monitor, event: str, channels: list[Channel]) -> set[int]:
    """The email channels whose address opted out of `event` (or of everything) for this org or monitor."""
    emails = {c.target.lower(): c.id for c in channels if c.kind == Channel.Kind.EMAIL}
    if not emails:
        return set()
    rows = EmailOptOut.objects.filter(
        organization_id=monitor.organization_id, event__in=[event, "all"], email__in=list(emails)
    ).filter(monitor__isnull=True) | EmailOptOut.objects.filter(
        organization_id=monitor.organization_id, event__in=[event, "all"], email__in=list(emails), monitor=monitor
    )
    return {emails[email] for email in rows.values_list("email", flat=True) if email in emails}
