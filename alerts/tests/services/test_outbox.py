from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from alerts.models import Channel, Incident, Notification
from alerts.services import channel_create, notifications_create, status_changes_process
from alerts.tests.factories import make_monitor, record_change
from checks.models import StatusChange
from checks.services import status_change_claim
from conftest import organization_of

pytestmark = pytest.mark.django_db


def test_down_opens_an_incident_and_notifies_every_enabled_channel(
    organization, monitor, webhook, email_channel, http_target, django_capture_on_commit_callbacks
) -> None:
    second = channel_create(organization=organization, kind="email", name="on call", target="oncall@example.com")
    channel_create(organization=organization, kind="email", name="off", target="off@example.com")
    Channel.objects.filter(name="off").update(disabled=True)
    change = record_change(monitor=monitor, old="up", new="down", cause="HTTP 500")

    with django_capture_on_commit_callbacks(execute=True):
        assert status_changes_process() == 1

    incident = Incident.objects.get(monitor=monitor)
    assert incident.resolved_at is None
    assert incident.opened_at == change.created_at
    assert incident.cause == "HTTP 500"
    assert incident.opened_by == change
    notifications = Notification.objects.filter(status_change=change)
    assert {n.channel_id for n in notifications} == {email_channel.id, second.id, webhook.id}
    assert {n.event for n in notifications} == {"monitor.down"}
    assert {n.status for n in notifications} == {"sent"}
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "oncall@example.com"]
    assert [r.path for r in http_target.requests] == ["/hook"]
    change.refresh_from_db()
    assert change.processed_at is not None


def test_processing_twice_notifies_once(monitor, email_channel, django_capture_on_commit_callbacks) -> None:
    record_change(monitor=monitor, old="up", new="down")
    with django_capture_on_commit_callbacks(execute=True):
        assert status_changes_process() == 1
        assert status_changes_process() == 0
    assert Incident.objects.count() == 1
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_two_claimers_only_the_first_wins(monitor) -> None:
    change = record_change(monitor=monitor, old="up", new="down")
    now = timezone.now()
    assert status_change_claim(status_change_id=change.id, now=now) is True
    assert status_change_claim(status_change_id=change.id, now=now + timedelta(seconds=1)) is False
    change.refresh_from_db()
    assert change.processed_at == now


@pytest.mark.django_db(transaction=True)
def test_two_workers_processing_at_once_notify_once(alice) -> None:
    monitor = make_monitor(organization=organization_of(alice))
    for index in range(5):
        other = make_monitor(organization=monitor.organization, name=f"m{index}")
        record_change(monitor=other, old="up", new="down")
    record_change(monitor=monitor, old="up", new="down")
    barrier = threading.Barrier(2)
    handled: list[int] = []

    def worker() -> None:
        try:
            barrier.wait()
            handled.append(status_changes_process())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(handled) == 6
    assert Incident.objects.count() == 6
    assert Notification.objects.count() == 6  # one email channel, one notification per change
    assert not StatusChange.objects.filter(processed_at=None).exists()


def test_up_resolves_the_incident_and_sends_a_recovery(
    monitor, webhook, email_channel, http_target, django_capture_on_commit_callbacks
) -> None:
    down = record_change(monitor=monitor, old="up", new="down", at=timezone.now() - timedelta(minutes=5))
    up = record_change(monitor=monitor, old="down", new="up", cause="HTTP 200")
    with django_capture_on_commit_callbacks(execute=True):
        assert status_changes_process() == 2

    incident = Incident.objects.get(monitor=monitor)
    assert (incident.opened_at, incident.resolved_at) == (down.created_at, up.created_at)
    assert (incident.opened_by, incident.resolved_by) == (down, up)
    events = sorted(Notification.objects.filter(channel=email_channel).values_list("event", flat=True))
    assert events == ["monitor.down", "monitor.up"]
    assert Notification.objects.filter(status_change=up, incident=incident).count() == 2
    assert [m.subject for m in mail.outbox] == ["[Driftwatch] DOWN: Orders API", "[Driftwatch] UP again: Orders API"]
    assert len(http_target.requests) == 2


def test_up_processed_later_resolves_the_incident_opened_earlier(monitor, email_channel) -> None:
    record_change(monitor=monitor, old="up", new="down")
    status_changes_process()
    record_change(monitor=monitor, old="down", new="up")
    assert status_changes_process() == 1
    assert Incident.objects.get(monitor=monitor).resolved_at is not None


def test_first_success_of_a_pending_monitor_sends_nothing(monitor, email_channel) -> None:
    change = record_change(monitor=monitor, old="pending", new="up", cause="HTTP 200")
    assert status_changes_process() == 1
    assert not Incident.objects.exists()
    assert not Notification.objects.exists()
    change.refresh_from_db()
    assert change.processed_at is not None


def test_paused_transitions_send_nothing(monitor, email_channel) -> None:
    record_change(monitor=monitor, old="up", new="paused", cause="")
    record_change(monitor=monitor, old="paused", new="pending", cause="")
    assert status_changes_process() == 2
    assert not Incident.objects.exists()
    assert not Notification.objects.exists()


def test_down_while_an_incident_is_open_is_the_same_incident(monitor, email_channel) -> None:
    record_change(monitor=monitor, old="up", new="down")
    record_change(monitor=monitor, old="pending", new="down")  # paused and resumed while down
    assert status_changes_process() == 2
    assert Incident.objects.filter(monitor=monitor).count() == 1
    assert Notification.objects.count() == 1


def test_a_second_outage_opens_a_new_incident(monitor, email_channel) -> None:
    start = timezone.now() - timedelta(hours=1)
    for minutes, (old, new) in enumerate([("up", "down"), ("down", "up"), ("up", "down")]):
        record_change(monitor=monitor, old=old, new=new, at=start + timedelta(minutes=minutes))
    assert status_changes_process() == 3
    incidents = list(Incident.objects.filter(monitor=monitor))  # newest first
    assert [i.resolved_at is None for i in incidents] == [True, False]
    assert Notification.objects.count() == 3


def test_other_organisations_channels_are_not_notified(monitor, email_channel, mallory) -> None:
    record_change(monitor=monitor, old="up", new="down")
    status_changes_process()
    assert set(Notification.objects.values_list("channel__organization", flat=True)) == {monitor.organization_id}


def test_wh_02_creating_the_same_pair_twice_keeps_one_notification(
    monitor, email_channel, webhook, django_capture_on_commit_callbacks
) -> None:
    change = record_change(monitor=monitor, old="up", new="down")
    incident = Incident.objects.create(monitor=monitor, opened_at=change.created_at, opened_by=change)
    # A row for one pair exists already (another writer got there first): no IntegrityError.
    Notification.objects.create(status_change=change, channel=email_channel, incident=incident, event="monitor.down")
    with django_capture_on_commit_callbacks() as callbacks:
        first = notifications_create(status_change=change, incident=incident, event="monitor.down")
        second = notifications_create(status_change=change, incident=incident, event="monitor.down")
    assert len(first) == 1 and second == []
    assert len(callbacks) == 1  # only the new notification is enqueued
    assert Notification.objects.filter(status_change=change).count() == 2
    ids = list(Notification.objects.values_list("message_id", flat=True))
    assert len(set(ids)) == 2 and all(i.startswith("msg_") for i in ids)


def test_a_change_of_a_deleted_monitor_goes_with_it(monitor) -> None:
    record_change(monitor=monitor, old="up", new="down")
    monitor.delete()
    assert status_changes_process() == 0
