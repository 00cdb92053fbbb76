from __future__ import annotations

from datetime import timedelta

import pytest
from celery import current_app
from django.core import mail
from django.utils import timezone

from alerts.models import Incident, Notification
from alerts.tasks import deliver_notification_task, process_status_changes_task, sweep_notifications_task
from alerts.tests.factories import record_change

pytestmark = pytest.mark.django_db


def test_process_status_changes_task(monitor, email_channel) -> None:
    record_change(monitor=monitor, old="up", new="down")
    assert process_status_changes_task.apply().get() == 1
    assert Incident.objects.filter(monitor=monitor, resolved_at=None).exists()
    assert process_status_changes_task.name == "alerts.process_status_changes"


def test_deliver_notification_task(monitor, email_channel) -> None:
    record_change(monitor=monitor, old="up", new="down")
    process_status_changes_task.apply().get()  # inside the test transaction: nothing delivered yet
    notification = Notification.objects.get()
    assert deliver_notification_task.apply(args=[notification.id]).get() == "sent"
    assert deliver_notification_task.apply(args=[notification.id]).get() == "skipped"
    assert len(mail.outbox) == 1
    assert deliver_notification_task.name == "alerts.deliver_notification"


def test_deliver_notification_task_of_a_deleted_notification_does_nothing(db) -> None:
    assert deliver_notification_task.apply(args=[987654]).get() == "skipped"


def test_deliver_notification_task_leaves_a_long_retry_to_the_sweep(monitor, webhook, http_target) -> None:
    record_change(monitor=monitor, old="up", new="down")
    process_status_changes_task.apply().get()
    notification = Notification.objects.get(channel=webhook)
    http_target.set_reply(status=503, headers={"Retry-After": "90"})
    # Eager mode would run a countdown re-enqueue at once; a 90 s delay is not re-enqueued at all.
    assert deliver_notification_task.apply(args=[notification.id]).get() == "pending"
    assert len(http_target.requests) == 1


def test_sweep_notifications_task_delivers_what_is_due(monitor, email_channel) -> None:
    record_change(monitor=monitor, old="up", new="down")
    process_status_changes_task.apply().get()  # the enqueue on commit is "lost" in the test transaction
    Notification.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert sweep_notifications_task.apply().get() == 1
    assert Notification.objects.get().status == "sent"
    assert sweep_notifications_task.apply().get() == 0
    assert sweep_notifications_task.name == "alerts.sweep_notifications"


def test_the_task_checks_nudges_by_name_processes_the_change(monitor, email_channel) -> None:
    from checks.services import OUTBOX_CONSUMER_TASK

    change = record_change(monitor=monitor, old="up", new="down")
    assert process_status_changes_task.name == OUTBOX_CONSUMER_TASK
    current_app.tasks[OUTBOX_CONSUMER_TASK].delay()
    change.refresh_from_db()
    assert change.processed_at is not None
    assert Incident.objects.filter(opened_by=change).exists()


def _make_due() -> None:
    Notification.objects.filter(status="pending").update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_sweep_of_a_receiver_with_a_bad_retry_after_ends_dead(settings, monitor, webhook, http_target) -> None:
    """Retry-After: ² used to crash every attempt and leave the row pending: the sweep resent it forever."""
    record_change(monitor=monitor, old="up", new="down")
    process_status_changes_task.apply().get()
    Notification.objects.exclude(channel=webhook).delete()
    http_target.set_reply(status=503, headers={"Retry-After": "²"})

    sweeps = 0
    while True:
        _make_due()
        if sweep_notifications_task.apply().get() == 0:
            break
        sweeps += 1
        assert sweeps <= settings.ALERTS_MAX_ATTEMPTS, "the sweep keeps handing the notification out"

    notification = Notification.objects.get()
    assert (notification.status, notification.attempts) == ("dead", settings.ALERTS_MAX_ATTEMPTS)
    assert len(http_target.requests) == settings.ALERTS_MAX_ATTEMPTS


def test_sweep_buries_a_pending_notification_at_the_cap(settings, monitor, webhook, http_target) -> None:
    record_change(monitor=monitor, old="up", new="down")
    process_status_changes_task.apply().get()
    notification = Notification.objects.get(channel=webhook)
    Notification.objects.exclude(id=notification.id).delete()
    Notification.objects.filter(id=notification.id).update(attempts=settings.ALERTS_MAX_ATTEMPTS)
    _make_due()

    assert sweep_notifications_task.apply().get() == 1
    notification.refresh_from_db()
    assert notification.status == "dead"
    assert sweep_notifications_task.apply().get() == 0
    assert http_target.requests == []


def test_settle_flapping_task_runs() -> None:
    from alerts.tasks import settle_flapping_task  # noqa: PLC0415

    assert settle_flapping_task.apply().get() == 0
