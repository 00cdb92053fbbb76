"""The "is it really down?" bar (issue 4 parts 7 to 10), end to end: real checks against a local HTTP target
through check_execute, then the alerts outbox consumer, then the Incident rows.

It lives in tests/ because it crosses checks and alerts (checks may not import alerts).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from alerts.models import Incident
from alerts.services import status_changes_process
from checks.models import StatusChange
from checks.services import check_execute
from checks.tests.factories import make_monitor
from checks.tests.targets import ScriptedTarget
from conftest import organization_of
from monitors.models import MaintenanceWindow, Monitor

pytestmark = pytest.mark.django_db

SLOTS = 30


def no_sleep(seconds: float) -> None:
    pass


@pytest.fixture
def target() -> Iterator[ScriptedTarget]:
    server = ScriptedTarget().start()
    yield server
    server.stop()


def slot(n: int, start: datetime) -> datetime:
    return start + timedelta(seconds=60 * n)


def run(monitor: Monitor, due: datetime, region: str | None = None) -> None:
    check_execute(monitor=monitor, due_at=due, region=region, sleep=no_sleep)
    status_changes_process()  # what the on-commit nudge runs in production


def incidents(monitor: Monitor) -> list[Incident]:
    return list(Incident.objects.filter(monitor=monitor).order_by("id"))


def test_flapping_target_failing_one_check_in_three_never_opens_an_incident(alice, target) -> None:
    monitor = make_monitor(organization=organization_of(alice), url=target.url, failure_threshold=2)
    start = timezone.now()
    for n in range(SLOTS):
        target.set_reply(status=500 if n % 3 == 2 else 200)  # every attempt of every third run fails
        run(monitor, slot(n, start))
    assert incidents(monitor) == []
    assert not StatusChange.objects.filter(monitor=monitor, new_state="down").exists()
    assert monitor.results.filter(ok=False).count() == SLOTS // 3


def test_flapping_requests_are_absorbed_by_retries(alice, target) -> None:
    """Every third request fails; with one retry per run, no run fails at all."""
    monitor = make_monitor(organization=organization_of(alice), url=target.url, failure_threshold=2, retries=1)
    start = timezone.now()
    for n in range(SLOTS):
        if n % 3 == 2:
            target.queue([500])
        run(monitor, slot(n, start))
    assert incidents(monitor) == []
    assert monitor.results.filter(ok=False).count() == 0
    assert monitor.results.filter(details__attempts=2).count() == SLOTS // 3


def test_hard_outage_opens_exactly_one_incident_and_recovery_resolves_it(alice, target) -> None:
    monitor = make_monitor(organization=organization_of(alice), url=target.url, failure_threshold=2)
    start = timezone.now()
    for n in range(SLOTS):
        target.set_reply(status=503 if 5 <= n < 20 else 200)
        run(monitor, slot(n, start))
    opened = incidents(monitor)
    assert len(opened) == 1
    assert opened[0].opened_at == monitor.results.get(due_at=slot(6, start)).started_at  # the K-th failure
    assert opened[0].resolved_at is not None
    assert "503" in opened[0].cause


def test_outage_in_two_of_three_regions_opens_one_incident_one_region_none(alice, target) -> None:
    regions = ["eu", "us", "ap"]
    one = make_monitor(organization=organization_of(alice), url=target.url, regions=regions, name="one region")
    two = make_monitor(organization=organization_of(alice), url=target.url, regions=regions, name="two regions")
    start = timezone.now()
    for n in range(10):
        for monitor, failing in ((one, {"eu"}), (two, {"eu", "us"})):
            for region in regions:
                target.set_reply(status=500 if region in failing and n >= 2 else 200)
                run(monitor, slot(n, start), region=region)
    assert incidents(one) == []
    assert len(incidents(two)) == 1 and incidents(two)[0].resolved_at is None


def test_slow_target_is_degraded_and_opens_no_incident(alice, target) -> None:
    monitor = make_monitor(organization=organization_of(alice), url=target.url, degraded_latency_ms=100)
    target.set_reply(status=200, delay_seconds=0.2)
    start = timezone.now()
    for n in range(3):
        run(monitor, slot(n, start))
    monitor.refresh_from_db()
    assert monitor.state == "degraded"
    assert incidents(monitor) == []


def test_outage_inside_maintenance_opens_no_incident_and_one_after_the_window(alice, target) -> None:
    monitor = make_monitor(organization=organization_of(alice), url=target.url)
    now = timezone.now()
    window = MaintenanceWindow.objects.create(
        organization=monitor.organization,
        monitor=monitor,
        name="Database upgrade",
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=1),
    )
    start = timezone.now()
    run(monitor, slot(0, start))
    target.set_reply(status=500)
    for n in range(1, 6):
        run(monitor, slot(n, start))
    monitor.refresh_from_db()
    assert monitor.state == "maintenance"
    assert incidents(monitor) == []
    window.ends_at = timezone.now() - timedelta(seconds=1)
    window.save()
    run(monitor, slot(6, start))
    run(monitor, slot(7, start))
    assert len(incidents(monitor)) == 1


def test_recovery_into_degraded_resolves_the_incident(alice, target) -> None:
    monitor = make_monitor(organization=organization_of(alice), url=target.url, degraded_latency_ms=100)
    start = timezone.now()
    target.set_reply(status=500)
    for n in range(2):
        run(monitor, slot(n, start))
    target.set_reply(status=200, delay_seconds=0.2)  # back, but slow
    run(monitor, slot(2, start))
    monitor.refresh_from_db()
    assert monitor.state == "degraded"
    assert incidents(monitor)[0].resolved_at is not None
