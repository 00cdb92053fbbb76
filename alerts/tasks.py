"""Celery tasks of the alerts app: thin wrappers that take ids and call one service.

The names are fixed: checks sends "alerts.process_status_changes" by name, and beat's
CELERY_BEAT_SCHEDULE names the two sweeps.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

logger = logging.getLogger(__name__)

# A retry due within this many seconds is re-enqueued with a countdown; later ones are
# picked up by the sweep, so the broker never holds long-delayed messages.
REQUEUE_MAX_SECONDS = 60


@shared_task(name="alerts.process_status_changes", acks_late=True)
def process_status_changes_task() -> int:
    """Handle every unprocessed StatusChange (right after one is committed, and every 15 s)."""
    from alerts.services import status_changes_process  # noqa: PLC0415

    return status_changes_process()


@shared_task(name="alerts.deliver_notification", acks_late=True)
def deliver_notification_task(notification_id: int) -> str:
    """One delivery attempt. Idempotent: a sent, failed, dead or claimed notification is skipped."""
    from alerts.services import notification_deliver  # noqa: PLC0415

    outcome = notification_deliver(notification_id=notification_id)
    if outcome.retry_in_seconds is not None and outcome.retry_in_seconds <= REQUEUE_MAX_SECONDS:
        deliver_notification_task.apply_async(args=[notification_id], countdown=outcome.retry_in_seconds)
    return outcome.status


def deliver_notification_enqueue(notification_id: int, *, delay_seconds: float = 0.0) -> None:
    """Queue one delivery attempt now, or after a short delay (a held DOWN); a longer one is the sweep's."""
    if delay_seconds <= 0:
        deliver_notification_task.delay(notification_id)
    elif delay_seconds <= REQUEUE_MAX_SECONDS:
        deliver_notification_task.apply_async(args=[notification_id], countdown=delay_seconds)


@shared_task(name="alerts.fold_digests", acks_late=True)
def fold_digests_task() -> int:
    """Fold held DOWN notifications of organisations with many at once into one digest per channel."""
    from alerts.services.digest import digests_fold  # noqa: PLC0415

    return digests_fold()


@shared_task(name="alerts.settle_flapping", acks_late=True)
def settle_flapping_task() -> int:
    """End flapping spells that have been quiet for a whole window (one "stable" notice each)."""
    from alerts.services.flapping import flapping_settle  # noqa: PLC0415

    return flapping_settle()


@shared_task(name="alerts.sweep_notifications", acks_late=True)
def sweep_notifications_task() -> int:
    """Re-enqueue pending notifications that are due (lost tasks, retries beyond the countdown limit)."""
    from alerts.selectors import notification_ids_due  # noqa: PLC0415

    due = notification_ids_due(now=timezone.now())
    for notification_id in due:
        deliver_notification_task.delay(notification_id)
    if due:
        logger.info("notifications re-enqueued count=%s", len(due))
    return len(due)


@shared_task(name="alerts.evaluate_rules", acks_late=True)
def evaluate_rules_task() -> int:
    """Evaluate the windowed alert rules (latency, uptime, TLS expiry); beat runs it every minute. Idempotent."""
    from alerts.services.evaluate import rules_evaluate  # noqa: PLC0415

    report = rules_evaluate()
    return report.fired + report.cleared


@shared_task(name="alerts.send_reminders", acks_late=True)
def send_reminders_task() -> int:
    """Remind about open, unacknowledged incidents whose rule asks for it; beat runs it every 5 minutes."""
    from alerts.services.reminders import reminders_send  # noqa: PLC0415

    return reminders_send()


@shared_task(name="alerts.process_drift_events", acks_late=True)
def process_drift_events_task() -> int:
    """Handle unprocessed drift events (checks nudges it on commit; beat sweeps every 30 s)."""
    from alerts.services.drift import drift_events_process  # noqa: PLC0415

    return drift_events_process()
