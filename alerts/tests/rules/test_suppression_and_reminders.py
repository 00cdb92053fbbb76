"""Suppression window per rule, and reminders while an incident is open and unacknowledged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.services import Actor
from alerts.models import Incident, IncidentEvent, Notification
from alerts.services import status_changes_process
from alerts.services.incidents import incident_acknowledge
from alerts.services.reminders import reminders_send
from alerts.services.rules import alert_rule_create
from alerts.tests.factories import record_change
from alerts.tests.rules.helpers import notifications

pytestmark = pytest.mark.django_db


def flip(monitor, old: str, new: str, at) -> None:  # noqa: ANN001
    record_change(monitor=monitor, old=old, new=new, at=at)
    status_changes_process(now=at)


def test_suppression_window_keeps_a_second_outage_quiet_and_records_it(organization, monitor, email_channel) -> None:
    alert_rule_create(organization=organization, condition="down", suppression_minutes=30)
    start = timezone.now() - timedelta(hours=2)
    flip(monitor, "up", "down", start)
    flip(monitor, "down", "up", start + timedelta(minutes=2))
    flip(monitor, "up", "down", start + timedelta(minutes=10))  # inside the 30 min window
    flip(monitor, "down", "up", start + timedelta(minutes=12))

    assert [n.event for n in notifications()] == ["monitor.down", "monitor.up"]
    second = Incident.objects.filter(monitor=monitor).order_by("id").last()
    suppressed = second.events.filter(kind=IncidentEvent.Kind.SUPPRESSED)
    assert suppressed.count() == 2  # the outage and, with it, its recovery
    assert "suppression" in suppressed.first().data["reason"]

    flip(monitor, "up", "down", start + timedelta(minutes=45))  # window over
    assert [n.event for n in notifications()] == ["monitor.down", "monitor.up", "monitor.down"]


def test_no_suppression_window_by_default(organization, monitor, email_channel) -> None:
    alert_rule_create(organization=organization, condition="down")
    start = timezone.now() - timedelta(hours=1)
    for minute in range(0, 8, 2):
        flip(monitor, "up", "down", start + timedelta(minutes=minute))
        flip(monitor, "down", "up", start + timedelta(minutes=minute + 1))
    assert notifications(event="monitor.down").count() == 4


def test_reminders_are_off_by_default(monitor, email_channel) -> None:
    start = timezone.now() - timedelta(hours=30)
    flip(monitor, "up", "down", start)
    assert reminders_send(now=start + timedelta(hours=25)) == 0
    assert notifications(event="incident.reminder").count() == 0


def test_reminder_every_n_hours_once_each_and_acknowledge_stops_them(
    organization, monitor, email_channel, alice
) -> None:
    alert_rule_create(organization=organization, condition="down", reminder_hours=2)
    start = timezone.now() - timedelta(hours=10)
    flip(monitor, "up", "down", start)
    incident = Incident.objects.get(monitor=monitor)

    assert reminders_send(now=start + timedelta(hours=1)) == 0
    assert reminders_send(now=start + timedelta(hours=2)) == 1
    assert reminders_send(now=start + timedelta(hours=2, minutes=5)) == 0  # the sweep again: nothing twice
    assert reminders_send(now=start + timedelta(hours=3)) == 0
    assert reminders_send(now=start + timedelta(hours=4, minutes=1)) == 1
    reminders = notifications(event="incident.reminder")
    assert [n.dedup_key for n in reminders] == [f"remind:{incident.id}:1", f"remind:{incident.id}:2"]
    assert incident.events.filter(kind="reminder").count() == 2

    incident_acknowledge(incident=incident, actor=Actor(user=alice), now=start + timedelta(hours=5))
    assert reminders_send(now=start + timedelta(hours=9)) == 0
    assert notifications(event="incident.reminder").count() == 2


def test_resolved_incident_gets_no_reminder(organization, monitor, email_channel) -> None:
    alert_rule_create(organization=organization, condition="down", reminder_hours=1)
    start = timezone.now() - timedelta(hours=5)
    flip(monitor, "up", "down", start)
    flip(monitor, "down", "up", start + timedelta(minutes=30))
    assert reminders_send(now=start + timedelta(hours=3)) == 0


def test_reminder_after_a_long_sweep_outage_is_one_not_many(organization, monitor, email_channel) -> None:
    alert_rule_create(organization=organization, condition="down", reminder_hours=1)
    start = timezone.now() - timedelta(hours=12)
    flip(monitor, "up", "down", start)
    assert reminders_send(now=start + timedelta(hours=10)) == 1
    assert Notification.objects.filter(event="incident.reminder").count() == 1


def test_send_reminders_task_runs_the_sweep(organization, monitor, email_channel) -> None:
    from alerts.models import Incident as IncidentModel  # noqa: PLC0415
    from alerts.tasks import send_reminders_task  # noqa: PLC0415

    alert_rule_create(organization=organization, condition="down", reminder_hours=1)
    flip(monitor, "up", "down", timezone.now() - timedelta(hours=2))
    assert send_reminders_task.name == "alerts.send_reminders"
    assert send_reminders_task.apply().get() == 1
    assert send_reminders_task.apply().get() == 0
    assert IncidentModel.objects.get(monitor=monitor).reminders_sent == 1
