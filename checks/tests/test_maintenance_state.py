"""Maintenance (issue 4 part 10): inside a window checks run and are stored, the state is `maintenance`,
no StatusChange is written; the first result after the window lands on what the counts say."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from checks.models import CheckResult, StatusChange
from checks.services import check_execute
from checks.tests.factories import make_monitor
from conftest import organization_of
from monitors.models import MaintenanceWindow, Monitor

pytestmark = pytest.mark.django_db


def no_sleep(seconds: float) -> None:
    pass


@pytest.fixture
def monitor(alice, http_target) -> Monitor:
    return make_monitor(organization=organization_of(alice), url=http_target.url, retries=0)


def window(monitor: Monitor, *, whole_organization: bool = False, minutes: int = 30) -> MaintenanceWindow:
    now = timezone.now()
    return MaintenanceWindow.objects.create(
        organization=monitor.organization,
        monitor=None if whole_organization else monitor,
        name="Deploy",
        recurrence=MaintenanceWindow.Recurrence.ONCE,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(minutes=minutes),
    )


def run(monitor: Monitor, due) -> CheckResult:
    return check_execute(monitor=monitor, due_at=due, sleep=no_sleep)


def changes(monitor: Monitor) -> list[tuple[str, str]]:
    return list(StatusChange.objects.filter(monitor=monitor).order_by("id").values_list("old_state", "new_state"))


def test_down_target_inside_a_window_is_maintenance_with_no_status_change(monitor, http_target) -> None:
    start = timezone.now()
    run(monitor, start)  # up before the window
    window(monitor)
    http_target.set_reply(status=500)
    for n in range(1, 5):
        assert run(monitor, start + timedelta(seconds=60 * n)).ok is False
    monitor.refresh_from_db()
    assert monitor.state == "maintenance"
    assert monitor.consecutive_failures == 4  # the counts keep moving
    assert CheckResult.objects.filter(monitor=monitor).count() == 5  # checks still ran and were stored
    assert changes(monitor) == [("pending", "up")]


def test_an_organisation_wide_window_covers_every_monitor(monitor, http_target) -> None:
    window(monitor, whole_organization=True)
    run(monitor, timezone.now())
    monitor.refresh_from_db()
    assert monitor.state == "maintenance"
    assert changes(monitor) == []


def test_after_the_window_a_still_down_target_writes_maintenance_to_down(monitor, http_target) -> None:
    start = timezone.now()
    run(monitor, start)
    maintenance = window(monitor)
    http_target.set_reply(status=500)
    run(monitor, start + timedelta(seconds=60))
    run(monitor, start + timedelta(seconds=120))
    maintenance.ends_at = timezone.now() - timedelta(seconds=1)  # the window is over
    maintenance.save()
    run(monitor, start + timedelta(seconds=180))
    monitor.refresh_from_db()
    assert monitor.state == "down"
    assert changes(monitor) == [("pending", "up"), ("maintenance", "down")]


def test_after_the_window_a_healthy_target_writes_maintenance_to_up(monitor, http_target) -> None:
    start = timezone.now()
    run(monitor, start)
    maintenance = window(monitor)
    run(monitor, start + timedelta(seconds=60))
    maintenance.delete()
    run(monitor, start + timedelta(seconds=120))
    monitor.refresh_from_db()
    assert monitor.state == "up"
    assert changes(monitor) == [("pending", "up"), ("maintenance", "up")]


def test_a_window_of_another_monitor_does_not_apply(alice, monitor, http_target) -> None:
    other = make_monitor(organization=organization_of(alice), url=http_target.url, name="Other")
    window(other)
    run(monitor, timezone.now())
    monitor.refresh_from_db()
    assert monitor.state == "up"
