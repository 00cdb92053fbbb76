"""DEGRADED (issue 4 part 8): slow-but-up and probe warnings; both write a StatusChange, neither is DOWN."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from checks.models import StatusChange
from checks.probes import ProbeOutcome
from checks.services import check_execute, check_result_record
from checks.tests.factories import make_monitor
from conftest import organization_of

pytestmark = pytest.mark.django_db


def no_sleep(seconds: float) -> None:
    pass


def test_slow_success_is_degraded_then_up_when_fast_again(alice, http_target) -> None:
    monitor = make_monitor(organization=organization_of(alice), url=http_target.url, degraded_latency_ms=150)
    start = timezone.now()
    check_execute(monitor=monitor, due_at=start, sleep=no_sleep)
    http_target.set_reply(status=200, delay_seconds=0.3)
    slow = check_execute(monitor=monitor, due_at=start + timedelta(seconds=60), sleep=no_sleep)
    assert (slow.ok, slow.degraded, slow.details.get("slow")) == (True, True, True)
    monitor.refresh_from_db()
    assert monitor.state == "degraded"
    http_target.set_reply(status=200)
    fast = check_execute(monitor=monitor, due_at=start + timedelta(seconds=120), sleep=no_sleep)
    assert fast.degraded is False
    monitor.refresh_from_db()
    assert monitor.state == "up"
    rows = list(StatusChange.objects.filter(monitor=monitor).order_by("id"))
    assert [(c.old_state, c.new_state) for c in rows] == [("pending", "up"), ("up", "degraded"), ("degraded", "up")]
    assert rows[1].cause.startswith("Slow: ")


def test_without_a_latency_threshold_slow_is_up(alice, http_target) -> None:
    monitor = make_monitor(organization=organization_of(alice), url=http_target.url)
    http_target.set_reply(status=200, delay_seconds=0.2)
    assert check_execute(monitor=monitor, due_at=timezone.now(), sleep=no_sleep).degraded is False
    monitor.refresh_from_db()
    assert monitor.state == "up"


def test_a_probe_warning_is_degraded(alice, http_target) -> None:
    """A TLS certificate inside its warning window: the probe says ok and degraded."""
    monitor = make_monitor(organization=organization_of(alice), url=http_target.url)
    outcome = ProbeOutcome(started_at=timezone.now(), ok=True, latency_ms=5, degraded=True, error="expires in 3 days")
    check_result_record(monitor=monitor, region="local", due_at=timezone.now(), outcome=outcome)
    monitor.refresh_from_db()
    assert monitor.state == "degraded"


def test_a_degraded_monitor_goes_down_after_k_failures(alice, http_target) -> None:
    monitor = make_monitor(organization=organization_of(alice), url=http_target.url, degraded_latency_ms=100, retries=0)
    start = timezone.now()
    http_target.set_reply(status=200, delay_seconds=0.2)
    check_execute(monitor=monitor, due_at=start, sleep=no_sleep)
    http_target.set_reply(status=500)
    check_execute(monitor=monitor, due_at=start + timedelta(seconds=60), sleep=no_sleep)
    monitor.refresh_from_db()
    assert monitor.state == "degraded"  # one failure is not enough
    check_execute(monitor=monitor, due_at=start + timedelta(seconds=120), sleep=no_sleep)
    monitor.refresh_from_db()
    assert monitor.state == "down"
