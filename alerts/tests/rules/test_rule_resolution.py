"""Which rules apply to a state change: monitor rules replace organisation defaults; no rule behaves as before."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import Channel, Incident
from alerts.services import channel_create, status_changes_process
from alerts.services.rules import alert_rule_create, targets_for
from alerts.tests.factories import make_monitor, record_change
from alerts.tests.rules.helpers import notifications

pytestmark = pytest.mark.django_db


@pytest.fixture
def pager(organization) -> Channel:
    return channel_create(organization=organization, kind="email", name="pager", target="pager@example.com")


def process() -> None:
    status_changes_process()


def test_no_rule_down_and_recovery_notify_every_enabled_channel(monitor, email_channel, pager) -> None:
    record_change(monitor=monitor, old="up", new="down")
    process()
    assert {n.channel_id for n in notifications(event="monitor.down")} == {email_channel.id, pager.id}
    record_change(monitor=monitor, old="down", new="up")
    process()
    assert {n.channel_id for n in notifications(event="monitor.up")} == {email_channel.id, pager.id}


def test_organisation_default_down_rule_sends_only_to_its_channels(organization, monitor, pager) -> None:
    alert_rule_create(organization=organization, condition="down", channels=[pager])
    record_change(monitor=monitor, old="up", new="down")
    process()
    assert [n.channel_id for n in notifications(event="monitor.down")] == [pager.id]
    # No recovered rule: the recovery goes where the outage went.
    record_change(monitor=monitor, old="down", new="up")
    process()
    assert [n.channel_id for n in notifications(event="monitor.up")] == [pager.id]


def test_monitor_rule_replaces_the_organisation_default(organization, monitor, email_channel, pager) -> None:
    alert_rule_create(organization=organization, condition="down", channels=[pager])
    alert_rule_create(organization=organization, monitor=monitor, condition="down", channels=[email_channel])
    other = make_monitor(organization=organization, name="Billing")
    record_change(monitor=monitor, old="up", new="down")
    record_change(monitor=other, old="up", new="down")
    process()
    assert [n.channel_id for n in notifications(monitor=monitor)] == [email_channel.id]
    assert [n.channel_id for n in notifications(monitor=other)] == [pager.id]


def test_disabled_monitor_rule_falls_back_to_the_default(organization, monitor, email_channel, pager) -> None:
    alert_rule_create(organization=organization, condition="down", channels=[pager])
    alert_rule_create(
        organization=organization, monitor=monitor, condition="down", channels=[email_channel], enabled=False
    )
    assert [t.rule.monitor_id for t in targets_for(monitor=monitor, condition="down")] == [None]


def test_rule_without_channels_notifies_every_enabled_channel(organization, monitor, email_channel, pager) -> None:
    rule = alert_rule_create(organization=organization, condition="down")
    record_change(monitor=monitor, old="up", new="down")
    process()
    sent = notifications(event="monitor.down")
    assert {n.channel_id for n in sent} == {email_channel.id, pager.id}
    assert {n.rule_id for n in sent} == {rule.id}


def test_explicit_recovered_rule_picks_its_own_channels(organization, monitor, email_channel, pager) -> None:
    alert_rule_create(organization=organization, condition="down", channels=[pager])
    alert_rule_create(organization=organization, condition="recovered", channels=[email_channel])
    record_change(monitor=monitor, old="up", new="down")
    record_change(monitor=monitor, old="down", new="up", at=timezone.now() + timedelta(minutes=1))
    process()
    assert [n.channel_id for n in notifications(event="monitor.down")] == [pager.id]
    assert [n.channel_id for n in notifications(event="monitor.up")] == [email_channel.id]


def test_two_rules_naming_one_channel_send_it_once(organization, monitor, pager) -> None:
    alert_rule_create(organization=organization, condition="down", channels=[pager], name="a")
    alert_rule_create(organization=organization, condition="down", channels=[pager], name="b")
    record_change(monitor=monitor, old="up", new="down")
    process()
    assert notifications(event="monitor.down").count() == 1


def test_degraded_without_a_rule_never_pages(monitor, email_channel) -> None:
    record_change(monitor=monitor, old="up", new="degraded", cause="Slow: 900 ms")
    process()
    assert notifications().count() == 0
    assert not Incident.objects.filter(monitor=monitor).exists()


def test_degraded_rule_opens_an_incident_notifies_and_resolves_when_up(organization, monitor, pager) -> None:
    rule = alert_rule_create(organization=organization, condition="degraded", channels=[pager])
    record_change(monitor=monitor, old="up", new="degraded", cause="Slow: 900 ms")
    process()
    incident = Incident.objects.get(monitor=monitor, kind="degraded")
    assert incident.rule == rule and incident.cause == "Slow: 900 ms"
    assert [(n.channel_id, n.event) for n in notifications()] == [(pager.id, "monitor.degraded")]
    record_change(monitor=monitor, old="degraded", new="up", at=timezone.now() + timedelta(minutes=1))
    process()
    incident.refresh_from_db()
    assert incident.resolved_at is not None
    assert notifications().count() == 1  # leaving DEGRADED is no page


def test_down_to_degraded_recovers_the_outage_and_reports_degraded(organization, monitor, email_channel) -> None:
    alert_rule_create(organization=organization, condition="degraded")
    record_change(monitor=monitor, old="up", new="down")
    record_change(monitor=monitor, old="down", new="degraded", at=timezone.now() + timedelta(minutes=1))
    process()
    assert [n.event for n in notifications()] == ["monitor.down", "monitor.up", "monitor.degraded"]
    down = Incident.objects.get(monitor=monitor, kind="down")
    assert down.resolved_at is not None
    assert Incident.objects.get(monitor=monitor, kind="degraded").resolved_at is None


def test_heartbeat_missed_rule_applies_to_heartbeat_monitors_only(organization, email_channel, pager) -> None:
    heartbeat = make_monitor(organization=organization, name="nightly", kind="heartbeat", url="", period_seconds=3600)
    http = make_monitor(organization=organization, name="api")
    alert_rule_create(organization=organization, condition="heartbeat_missed", channels=[pager])
    record_change(monitor=heartbeat, old="up", new="down", cause="No ping for 1 hour")
    record_change(monitor=http, old="up", new="down")
    process()
    assert [n.channel_id for n in notifications(monitor=heartbeat)] == [pager.id]
    assert {n.channel_id for n in notifications(monitor=http)} == {email_channel.id, pager.id}
    # Its recovery goes where the missed heartbeat went.
    record_change(monitor=heartbeat, old="down", new="up", cause="", at=timezone.now() + timedelta(minutes=1))
    process()
    assert [(n.channel_id, n.event) for n in notifications(monitor=heartbeat)] == [
        (pager.id, "monitor.down"),
        (pager.id, "monitor.up"),
    ]
