"""Incidents: the timeline, acknowledge, comment, resolve by hand, durations, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.services import Actor
from alerts.models import Incident, IncidentEvent
from alerts.services import status_changes_process
from alerts.services.incidents import (
    incident_acknowledge,
    incident_comment_add,
    incident_durations,
    incident_resolve_by_hand,
)
from alerts.tests.factories import record_change
from checks.models import CheckResult, MonitorRegionState

pytestmark = pytest.mark.django_db


def open_incident(monitor, at=None) -> Incident:  # noqa: ANN001
    at = at or timezone.now() - timedelta(minutes=30)
    result = CheckResult.objects.create(
        monitor=monitor,
        region="local",
        due_at=at,
        started_at=at,
        ok=False,
        status_code=503,
        error="expected 200, got 503",
    )
    change = record_change(monitor=monitor, old="up", new="down", cause="expected 200, got 503", at=at)
    change.result = result
    change.save(update_fields=["result"])
    status_changes_process(now=at)
    return Incident.objects.get(monitor=monitor, resolved_at=None)


def kinds(incident: Incident) -> list[str]:
    return list(incident.events.order_by("at", "id").values_list("kind", flat=True))


def test_timeline_holds_opened_failure_ack_comment_and_resolution(monitor, email_channel, alice, bob) -> None:
    start = timezone.now() - timedelta(hours=1)
    incident = open_incident(monitor, at=start)
    failed = incident.events.get(kind=IncidentEvent.Kind.CHECK_FAILED)
    assert failed.message == "expected 200, got 503"
    assert failed.data["region"] == "local" and failed.data["status_code"] == 503

    incident_acknowledge(incident=incident, actor=Actor(user=bob), now=start + timedelta(minutes=4))
    incident_comment_add(
        incident=incident, actor=Actor(user=alice), body="  Rolling back the deploy. ", now=start + timedelta(minutes=5)
    )
    record_change(monitor=monitor, old="down", new="up", at=start + timedelta(minutes=20))
    status_changes_process(now=start + timedelta(minutes=20))

    incident.refresh_from_db()
    assert kinds(incident) == ["opened", "check_failed", "acknowledged", "comment", "resolved"]
    comment = incident.events.get(kind="comment")
    assert (comment.actor, comment.message) == (alice, "Rolling back the deploy.")
    assert incident.events.get(kind="acknowledged").actor == bob
    durations = incident_durations(incident=incident)
    assert durations.duration_seconds == 20 * 60
    assert durations.time_to_acknowledge_seconds == 4 * 60
    assert durations.time_to_resolve_seconds == 20 * 60


def test_open_incident_duration_runs_to_now_and_has_no_time_to_resolve(monitor, email_channel) -> None:
    start = timezone.now() - timedelta(minutes=10)
    incident = open_incident(monitor, at=start)
    durations = incident_durations(incident=incident, now=start + timedelta(minutes=7))
    assert (durations.duration_seconds, durations.time_to_acknowledge_seconds, durations.time_to_resolve_seconds) == (
        420,
        None,
        None,
    )


def test_acknowledge_twice_keeps_the_first_and_is_audited_once(monitor, email_channel, alice, bob) -> None:
    incident = open_incident(monitor)
    first = timezone.now()
    incident_acknowledge(incident=incident, actor=Actor(user=bob), now=first)
    incident_acknowledge(incident=incident, actor=Actor(user=alice), now=first + timedelta(minutes=1))
    incident.refresh_from_db()
    assert (incident.acknowledged_at, incident.acknowledged_by) == (first, bob)
    assert incident.events.filter(kind="acknowledged").count() == 1
    assert AuditEvent.objects.filter(action="incident.acknowledged", target_id=str(incident.id)).count() == 1


def test_resolve_by_hand_records_who_and_refuses_twice(monitor, email_channel, alice) -> None:
    incident = open_incident(monitor)
    incident_resolve_by_hand(incident=incident, actor=Actor(user=alice))
    incident.refresh_from_db()
    assert incident.resolved_at is not None and incident.resolved_by_user == alice
    assert incident.events.last().kind == "resolved" and incident.events.last().actor == alice
    assert AuditEvent.objects.filter(action="incident.resolved", actor=alice).exists()
    with pytest.raises(ValidationError):
        incident_resolve_by_hand(incident=incident, actor=Actor(user=alice))
    with pytest.raises(ValidationError):
        incident_acknowledge(incident=incident, actor=Actor(user=alice))


def test_empty_or_huge_comment_is_refused(monitor, email_channel, alice) -> None:
    incident = open_incident(monitor)
    for body in ("   ", "x" * 2001):
        with pytest.raises(ValidationError) as error:
            incident_comment_add(incident=incident, actor=Actor(user=alice), body=body)
        assert "body" in error.value.message_dict


def test_multi_region_outage_records_the_failing_regions(organization, email_channel) -> None:
    from alerts.tests.factories import make_monitor  # noqa: PLC0415

    monitor = make_monitor(organization=organization, name="global")
    monitor.regions = ["eu", "us", "ap"]
    monitor.save(update_fields=["regions"])
    for region, state in (("eu", "down"), ("us", "down"), ("ap", "up")):
        MonitorRegionState.objects.create(monitor=monitor, region=region, state=state)
    incident = open_incident(monitor)
    region = incident.events.get(kind="region")
    assert region.data == {"failing": ["eu", "us"], "regions": ["eu", "us", "ap"]}
    assert region.message == "Failing in 2 of 3 regions: eu, us."


def test_timeline_shows_the_notifications_sent_for_the_incident(
    monitor, email_channel, django_capture_on_commit_callbacks
) -> None:
    at = timezone.now() - timedelta(minutes=5)
    record_change(monitor=monitor, old="up", new="down", cause="HTTP 500", at=at)
    with django_capture_on_commit_callbacks(execute=True):
        status_changes_process(now=at)
    incident = Incident.objects.get(monitor=monitor)
    assert kinds(incident)[:2] == ["opened", "check_failed"]
    notified = incident.events.get(kind=IncidentEvent.Kind.NOTIFIED)
    assert notified.data.get("channel") == email_channel.id
