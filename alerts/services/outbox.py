"""Processing the StatusChange outbox: incidents and the notifications they cause."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from alerts.channels import EVENT_DOWN, EVENT_UP
from alerts.models import Incident, Notification
from alerts.selectors import channel_list_enabled, incident_get_open
from alerts.tasks import deliver_notification_task
from checks.models import StatusChange
from checks.selectors import status_change_list_unprocessed, status_change_monitor_ids_unprocessed
from checks.services import status_change_claim
from monitors.models import Monitor

logger = logging.getLogger(__name__)

DOWN, UP, DEGRADED = "down", "up", "degraded"
# Back from DOWN, even if slow: the outage is over (DEGRADED itself never pages).
RECOVERED = frozenset({UP, DEGRADED})
BATCH_SIZE = 500


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
    incident = incident_get_open(monitor_id=monitor.id)
    if change.new_state == DOWN and incident is None:
        incident = Incident.objects.create(
            monitor=monitor, opened_at=change.created_at, cause=change.cause[:500], opened_by=change
        )
        logger.info("incident opened incident=%s monitor=%s", incident.id, monitor.id)
        notifications_create(status_change=change, incident=incident, event=EVENT_DOWN)
    elif change.new_state in RECOVERED and incident is not None:
        incident.resolved_at = change.created_at
        incident.resolved_by = change
        incident.save(update_fields=["resolved_at", "resolved_by"])
        logger.info("incident resolved incident=%s monitor=%s", incident.id, monitor.id)
        notifications_create(status_change=change, incident=incident, event=EVENT_UP)
    # Anything else sends nothing: pending -> up is a first success, not a recovery; a DOWN
    # while an incident is open (paused and resumed while down) is the same incident; paused
    # is a user's choice, not an event.


def notifications_create(*, status_change: StatusChange, incident: Incident, event: str) -> list[int]:
    """One Notification per enabled channel of the monitor's organisation; returns their ids.

    Idempotent: the (status_change, channel) pair is unique, so a second call adds nothing
    and re-enqueues nothing that was already there. Deliveries are enqueued on commit.
    """
    organization_id = incident.monitor.organization_id
    channels = list(channel_list_enabled(organization=incident.monitor.organization))
    existing = set(Notification.objects.filter(status_change=status_change).values_list("channel_id", flat=True))
    Notification.objects.bulk_create(
        [
            Notification(status_change=status_change, channel=channel, incident=incident, event=event)
            for channel in channels
            if channel.id not in existing
        ],
        ignore_conflicts=True,  # a concurrent writer of the same pair wins; nothing is sent twice
    )
    created = list(
        Notification.objects.filter(status_change=status_change)
        .exclude(channel_id__in=existing)
        .values_list("id", flat=True)
    )
    for notification_id in created:
        deliver_notification_task.delay_on_commit(notification_id)
    logger.info(
        "notifications created status_change=%s organization=%s event=%s count=%s",
        status_change.id,
        organization_id,
        event,
        len(created),
    )
    return created
