"""Contract drift as an alert condition: the DriftEvent outbox consumer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import Incident
from alerts.services.drift import drift_events_process
from alerts.services.rules import alert_rule_create
from alerts.tasks import process_drift_events_task
from alerts.tests.rules.helpers import notifications
from checks.models import ContractBaseline, DriftEvent
from monitors.models import Monitor

pytestmark = pytest.mark.django_db

REMOVED = [{"path": "$.owner.email", "change": "removed", "before": "string", "after": None, "severity": "breaking"}]
ADDED = [{"path": "$.owner.phone", "change": "added", "before": None, "after": "string", "severity": "additive"}]


def drift(monitor: Monitor, severity: str, n: int = 1) -> DriftEvent:
    baseline, _ = ContractBaseline.objects.get_or_create(monitor=monitor, version=1, defaults={"status": "active"})
    return DriftEvent.objects.create(
        monitor=monitor,
        baseline=baseline,
        severity=severity,
        changes=REMOVED if severity == "breaking" else ADDED,
        shape_hash=f"{severity}-{n}",
        detected_at=timezone.now() - timedelta(minutes=10 - n),
    )


def test_breaking_drift_without_rule_notifies_every_channel_once(monitor, email_channel, webhook) -> None:
    event = drift(monitor, "breaking")
    assert drift_events_process() == 1
    assert drift_events_process() == 0
    sent = notifications(event="contract.drift")
    assert sorted(n.channel_id for n in sent) == sorted([email_channel.id, webhook.id])
    assert {(n.dedup_key, n.drift_event_id) for n in sent} == {(f"drift:{event.id}", event.id)}
    incident = Incident.objects.get(monitor=monitor, kind="drift")
    assert "$.owner.email removed" in incident.cause
    event.refresh_from_db()
    assert event.processed_at is not None


def test_additive_drift_without_rule_is_quiet_unless_the_monitor_asks(monitor, email_channel) -> None:
    drift(monitor, "additive", 1)
    drift_events_process()
    assert notifications().count() == 0
    assert not Incident.objects.exists()
    Monitor.objects.filter(id=monitor.id).update(contract_alert_additive=True)
    drift(monitor, "additive", 2)
    drift_events_process()
    assert notifications(event="contract.drift").count() == 1


def test_drift_rule_min_severity_filters(organization, monitor, email_channel, webhook) -> None:
    alert_rule_create(organization=organization, condition="drift", min_severity="breaking", channels=[webhook])
    drift(monitor, "additive", 1)
    drift(monitor, "breaking", 2)
    process_drift_events_task.apply().get()
    assert [(n.channel_id, n.drift_event.severity) for n in notifications()] == [(webhook.id, "breaking")]


def test_drift_rule_with_additive_takes_every_drift(organization, monitor, webhook) -> None:
    alert_rule_create(organization=organization, condition="drift", min_severity="additive", channels=[webhook])
    drift(monitor, "additive", 1)
    drift(monitor, "breaking", 2)
    drift_events_process()
    assert notifications().count() == 2
    incident = Incident.objects.get(monitor=monitor, kind="drift")  # the second joined the open one
    assert list(incident.events.values_list("kind", flat=True)) == ["opened", "check_failed"]


def test_accepting_every_drift_resolves_the_incident(monitor, email_channel) -> None:
    event = drift(monitor, "breaking")
    drift_events_process()
    DriftEvent.objects.filter(id=event.id).update(accepted_at=timezone.now())
    drift_events_process()
    incident = Incident.objects.get(monitor=monitor, kind="drift")
    assert incident.resolved_at is not None
    assert incident.events.last().kind == "resolved"
