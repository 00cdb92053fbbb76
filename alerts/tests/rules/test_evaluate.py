"""Windowed rules: latency p95, uptime SLO and TLS expiry, evaluated idempotently every minute."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from alerts.models import Channel, Incident, RuleFiring
from alerts.services.evaluate import rules_evaluate
from alerts.services.rules import alert_rule_create, alert_rule_delete, alert_rule_update
from alerts.tasks import evaluate_rules_task
from alerts.tests.factories import make_monitor
from alerts.tests.rules.helpers import add_results, notifications
from checks.services import check_execute
from conftest import organization_of

pytestmark = pytest.mark.django_db


def test_latency_rule_fires_once_per_channel_however_often_it_runs(
    organization, monitor, email_channel, webhook
) -> None:
    rule = alert_rule_create(organization=organization, condition="latency", threshold_ms=500, window_minutes=15)
    now = timezone.now()
    add_results(monitor=monitor, end=now, latencies=[100] * 10 + [900] * 10)

    first = rules_evaluate(now=now)
    second = rules_evaluate(now=now + timedelta(seconds=60))
    assert (first.fired, second.fired) == (1, 0)

    firing = RuleFiring.objects.get(rule=rule, monitor=monitor)
    assert firing.cleared_at is None and firing.value == 900
    incident = Incident.objects.get(monitor=monitor, kind="latency")
    assert firing.incident == incident and incident.rule == rule
    assert "p95 latency 900 ms" in incident.cause
    sent = notifications(event="rule.fired")
    assert sorted(n.channel_id for n in sent) == sorted([email_channel.id, webhook.id])
    assert {n.dedup_key for n in sent} == {f"rule:{rule.id}:{monitor.id}:{firing.id}"}
    assert list(incident.events.values_list("kind", flat=True)) == ["opened"]


def test_latency_rule_clears_resolves_and_says_so(organization, monitor, email_channel) -> None:
    alert_rule_create(organization=organization, condition="latency", threshold_ms=500, window_minutes=5)
    now = timezone.now()
    add_results(monitor=monitor, end=now, latencies=[900] * 5)
    rules_evaluate(now=now)
    # Ten minutes later the window holds only fast results.
    later = now + timedelta(minutes=10)
    add_results(monitor=monitor, end=later, latencies=[80] * 5)
    report = rules_evaluate(now=later)
    assert report.cleared == 1
    assert rules_evaluate(now=later).cleared == 0
    incident = Incident.objects.get(monitor=monitor, kind="latency")
    assert incident.resolved_at == later
    assert [n.event for n in notifications()] == ["rule.fired", "rule.cleared"]
    assert list(incident.events.values_list("kind", flat=True)) == ["opened", "resolved"]
    # Slow again: a new firing, a new incident, a new notification.
    again = later + timedelta(minutes=10)
    add_results(monitor=monitor, end=again, latencies=[1200] * 5)
    assert rules_evaluate(now=again).fired == 1
    assert Incident.objects.filter(monitor=monitor, kind="latency").count() == 2


def test_latency_rule_with_no_results_in_the_window_changes_nothing(organization, monitor, email_channel) -> None:
    alert_rule_create(organization=organization, condition="latency", threshold_ms=500, window_minutes=5)
    now = timezone.now()
    add_results(monitor=monitor, end=now - timedelta(hours=1), latencies=[900] * 5)  # outside the window
    assert rules_evaluate(now=now).fired == 0
    assert not RuleFiring.objects.exists()


def test_uptime_rule_fires_below_the_slo_and_not_above(organization, email_channel) -> None:
    alert_rule_create(organization=organization, condition="uptime", slo_percent="99.5", window_minutes=60)
    bad = make_monitor(organization=organization, name="bad")
    good = make_monitor(organization=organization, name="good")
    now = timezone.now()
    add_results(monitor=bad, end=now, latencies=[50] * 100, ok=[True] * 99 + [False])  # 99 %
    add_results(monitor=good, end=now, latencies=[50] * 100)  # 100 %
    assert rules_evaluate(now=now).fired == 1
    incident = Incident.objects.get(kind="uptime")
    assert incident.monitor == bad
    assert "Uptime 99.00 %" in incident.cause


def test_monitor_override_takes_the_monitor_out_of_the_default(organization, monitor, email_channel) -> None:
    alert_rule_create(organization=organization, condition="latency", threshold_ms=100, window_minutes=15)
    own = alert_rule_create(
        organization=organization, monitor=monitor, condition="latency", threshold_ms=2000, window_minutes=15
    )
    now = timezone.now()
    add_results(monitor=monitor, end=now, latencies=[900] * 10)
    assert rules_evaluate(now=now).fired == 0  # 900 ms is fine by its own 2000 ms rule
    add_results(monitor=monitor, end=now + timedelta(minutes=1, seconds=7), latencies=[2500] * 30, step_seconds=2)
    rules_evaluate(now=now + timedelta(minutes=1))
    assert list(RuleFiring.objects.values_list("rule_id", flat=True)) == [own.id]


def test_tls_expiry_rule_reads_the_latest_certificate(organization, email_channel) -> None:
    monitor = make_monitor(organization=organization, name="tls", kind="tls", url="", host="example.com", port=443)
    alert_rule_create(organization=organization, condition="tls_expiry", days_before_expiry=14)
    now = timezone.now()
    add_results(
        monitor=monitor,
        end=now - timedelta(minutes=5),
        latencies=[20],
        details={"not_after": (now + timedelta(days=60)).isoformat()},
    )
    assert rules_evaluate(now=now).fired == 0
    add_results(monitor=monitor, end=now, latencies=[20], details={"not_after": (now + timedelta(days=5)).isoformat()})
    assert rules_evaluate(now=now).fired == 1
    incident = Incident.objects.get(monitor=monitor, kind="tls_expiry")
    assert "days left" in incident.cause
    # Renewed: an HTTPS-style result with tls_not_after far away clears it.
    later = now + timedelta(minutes=1)
    add_results(
        monitor=monitor, end=later, latencies=[20], details={"tls_not_after": (now + timedelta(days=90)).isoformat()}
    )
    assert rules_evaluate(now=later).cleared == 1


def test_latency_rule_against_a_real_slow_target(organization, email_channel, http_target) -> None:
    monitor = make_monitor(organization=organization, name="slow", url=f"{http_target.url}/slow")
    alert_rule_create(
        organization=organization, monitor=monitor, condition="latency", threshold_ms=150, window_minutes=10
    )
    http_target.set_reply(status=200, delay_seconds=0.25)
    start = timezone.now() - timedelta(minutes=3)
    for n in range(3):
        check_execute(monitor=monitor, due_at=start + timedelta(minutes=n), sleep=lambda s: None)
    assert len(http_target.requests) == 3
    assert evaluate_rules_task.apply().get() == 1  # the task, as beat runs it
    firing = RuleFiring.objects.get(monitor=monitor)
    assert firing.value >= 250


def test_disabled_rule_is_not_evaluated(organization, monitor, email_channel) -> None:
    alert_rule_create(organization=organization, condition="latency", threshold_ms=100, enabled=False)
    now = timezone.now()
    add_results(monitor=monitor, end=now, latencies=[900] * 5)
    assert rules_evaluate(now=now).rules == 0


def test_evaluation_reads_do_not_grow_with_the_monitors(
    organization, email_channel, django_assert_max_num_queries
) -> None:
    alert_rule_create(organization=organization, condition="latency", threshold_ms=500, window_minutes=15)
    alert_rule_create(organization=organization, condition="uptime", slo_percent="99", window_minutes=15)
    now = timezone.now()
    for index in range(25):
        monitor = make_monitor(organization=organization, name=f"m{index}")
        add_results(monitor=monitor, end=now, latencies=[100] * 10)
    rules_evaluate(now=now)  # nothing fires: all fast and up
    with django_assert_max_num_queries(10):  # rules, then per rule: monitors, window, open firings
        assert rules_evaluate(now=now).fired == 0


@pytest.mark.django_db(transaction=True)
def test_two_evaluations_at_once_fire_each_rule_once(alice) -> None:
    organization = organization_of(alice)
    alert_rule_create(organization=organization, condition="latency", threshold_ms=500, window_minutes=15)
    now = timezone.now()
    for index in range(10):
        monitor = make_monitor(organization=organization, name=f"slow {index}")
        add_results(monitor=monitor, end=now, latencies=[900] * 10)
    barrier = threading.Barrier(2)
    fired: list[int] = []

    def worker() -> None:
        try:
            barrier.wait()
            fired.append(rules_evaluate(now=now).fired)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(fired) == 10
    assert RuleFiring.objects.count() == 10
    assert Incident.objects.filter(kind="latency").count() == 10
    channels = Channel.objects.filter(organization=organization).count()
    assert notifications(event="rule.fired").count() == 10 * channels


def fire_latency(organization, monitor, now, *, own: bool = False):  # noqa: ANN001, ANN201
    rule = alert_rule_create(
        organization=organization,
        monitor=monitor if own else None,
        condition="latency",
        threshold_ms=500,
        window_minutes=15,
    )
    add_results(monitor=monitor, end=now, latencies=[900] * 5)
    assert rules_evaluate(now=now).fired == 1
    return rule, Incident.objects.get(monitor=monitor, kind="latency")


def test_disabling_or_deleting_the_rule_resolves_its_incident_quietly(organization, monitor, email_channel) -> None:
    now = timezone.now() - timedelta(hours=1)
    rule, incident = fire_latency(organization, monitor, now)
    alert_rule_update(rule=rule, enabled=False)
    rules_evaluate(now=now + timedelta(minutes=1))
    incident.refresh_from_db()
    assert incident.resolved_at is not None and incident.events.last().message == "The rule was disabled."
    assert notifications(event="rule.cleared").count() == 0

    other = make_monitor(organization=organization, name="other")
    rule2, incident2 = fire_latency(organization, other, now + timedelta(minutes=2, seconds=1), own=True)
    alert_rule_delete(rule=rule2)
    incident2.refresh_from_db()
    assert incident2.resolved_at is not None and incident2.events.last().message == "The rule was deleted."


def test_a_monitor_given_its_own_rule_leaves_the_defaults_firing(organization, monitor, email_channel) -> None:
    now = timezone.now()
    default, incident = fire_latency(organization, monitor, now)
    alert_rule_create(organization=organization, monitor=monitor, condition="latency", threshold_ms=5000)
    rules_evaluate(now=now + timedelta(seconds=30))
    assert RuleFiring.objects.get(rule=default).cleared_at is not None
    incident.refresh_from_db()
    assert incident.resolved_at is not None
    assert "no longer watched" in incident.events.last().message.lower()
