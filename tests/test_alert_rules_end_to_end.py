"""Alert rules end to end: checks' real write path (heartbeat sweep, HTTP checks against a local
target) feeding the alerts consumers. It lives in tests/ because it crosses checks and alerts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.services import Actor
from alerts.models import Incident, Notification
from alerts.services import channel_create, status_changes_process
from alerts.services.drift import drift_events_process
from alerts.services.evaluate import rules_evaluate
from alerts.services.rules import alert_rule_create
from checks.drift import drift_accept
from checks.models import DriftEvent
from checks.services import check_execute
from checks.services_heartbeats import heartbeats_check_overdue
from checks.tests.drift.helpers import respond, tracked_monitor
from conftest import organization_of
from monitors.services import monitor_create

pytestmark = pytest.mark.django_db


def test_missed_heartbeat_pages_the_heartbeat_missed_rules_channels(alice) -> None:
    organization = organization_of(alice)
    pager = channel_create(organization=organization, kind="email", name="pager", target="pager@example.com")
    alert_rule_create(organization=organization, condition="heartbeat_missed", channels=[pager], reminder_hours=6)
    monitor = monitor_create(
        organization=organization, name="nightly backup", kind="heartbeat", period_seconds=3600, grace_seconds=300
    )
    later = timezone.now() + timedelta(hours=2)
    assert heartbeats_check_overdue(now=later) == 1
    assert status_changes_process(now=later) == 1

    incident = Incident.objects.get(monitor=monitor)
    assert incident.kind == "down" and incident.rule.condition == "heartbeat_missed"
    assert "No ping" in incident.cause
    assert [(n.channel_id, n.event) for n in Notification.objects.filter(monitor=monitor)] == [
        (pager.id, "monitor.down")
    ]
    assert incident.events.get(kind="check_failed").data["error_kind"] == "heartbeat_late"


def test_down_and_recovery_of_a_real_target_follow_the_monitors_own_rule(alice, http_target) -> None:
    organization = organization_of(alice)
    pager = channel_create(organization=organization, kind="email", name="pager", target="pager@example.com")
    monitor = monitor_create(
        organization=organization, name="checkout", url=f"{http_target.url}/health", failure_threshold=2
    )
    alert_rule_create(organization=organization, monitor=monitor, condition="down", channels=[pager])
    due = monitor.next_check_at
    http_target.set_reply(status=503)
    for n in range(2):
        check_execute(monitor=monitor, due_at=due + timedelta(minutes=n), sleep=lambda s: None)
    status_changes_process()
    http_target.set_reply(status=200)
    check_execute(monitor=monitor, due_at=due + timedelta(minutes=2), sleep=lambda s: None)
    status_changes_process()

    sent = Notification.objects.filter(monitor=monitor).order_by("id")
    assert [(n.channel_id, n.event) for n in sent] == [(pager.id, "monitor.down"), (pager.id, "monitor.up")]
    incident = Incident.objects.get(monitor=monitor)
    assert incident.resolved_at is not None
    kinds = list(incident.events.values_list("kind", flat=True))
    assert kinds[0] == "opened" and kinds[1] == "check_failed" and kinds[-1] == "resolved"


def test_breaking_drift_found_by_real_checks_reaches_the_channels_through_the_nudge(
    alice, http_target, django_capture_on_commit_callbacks
) -> None:

    organization = organization_of(alice)
    monitor = tracked_monitor(organization, http_target)
    order = {"id": 1, "status": "paid", "total": 12.5}
    respond(monitor, http_target, order, times=3)  # the baseline is learned
    with django_capture_on_commit_callbacks(execute=True):
        respond(monitor, http_target, {"id": 1, "total": 12.5}, times=2)  # status removed, confirmed twice

    event = DriftEvent.objects.get(monitor=monitor)
    event.refresh_from_db()
    assert event.severity == "breaking" and event.processed_at is not None  # claimed by the nudged consumer
    sent = Notification.objects.filter(monitor=monitor, event="contract.drift")
    assert [n.dedup_key for n in sent] == [f"drift:{event.id}"]  # the owner's email channel
    incident = Incident.objects.get(monitor=monitor, kind="drift")
    assert "$.status removed" in incident.cause

    drift_accept(event=event, actor=Actor(user=alice))
    drift_events_process()
    incident.refresh_from_db()
    assert incident.resolved_at is not None


def test_uptime_slo_of_a_real_target_that_fails_one_check_in_four(alice, http_target) -> None:
    organization = organization_of(alice)
    # Failures never confirm (threshold 3): no outage, only a missed SLO.
    monitor = monitor_create(organization=organization, name="api", url=f"{http_target.url}/ok", failure_threshold=3)
    alert_rule_create(
        organization=organization, monitor=monitor, condition="uptime", slo_percent="90", window_minutes=30
    )
    start = timezone.now() - timedelta(minutes=12)
    for n in range(12):
        http_target.set_reply(status=500 if n % 4 == 3 else 200)
        check_execute(monitor=monitor, due_at=start + timedelta(minutes=n), sleep=lambda s: None)
    status_changes_process()
    assert not Incident.objects.filter(monitor=monitor, kind="down").exists()
    assert rules_evaluate().fired == 1
    incident = Incident.objects.get(monitor=monitor, kind="uptime")
    assert "Uptime 75.00 %" in incident.cause
