"""CEL-10 in-process: run_check counts its deliveries; past CHECKS_MAX_DELIVERIES a run is recorded as
worker_lost without probing, and a first delivery stores its result without looking for one first.

The real poison task (a run that SIGKILLs its own worker child) is tests/fault/ (scenario cel10).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from checks.deliveries import delivery_count
from checks.models import CheckResult
from checks.tasks import run_check_task
from checks.tests.factories import make_monitor
from conftest import organization_of
from monitors.models import MaintenanceWindow, Monitor

pytestmark = pytest.mark.django_db


@pytest.fixture
def monitor(alice, http_target) -> Monitor:
    return make_monitor(organization=organization_of(alice), url=http_target.url, retries=0)


def test_cel_10_delivery_counter_counts_each_delivery_of_one_slot(monitor) -> None:
    due = timezone.now()
    assert [delivery_count(monitor_id=monitor.id, region="local", due_at=due) for _ in range(3)] == [1, 2, 3]
    other = due + timedelta(seconds=60)
    assert delivery_count(monitor_id=monitor.id, region="local", due_at=other) == 1
    assert delivery_count(monitor_id=monitor.id, region="eu", due_at=due) == 1


def test_cel_10_fourth_delivery_is_recorded_as_worker_lost_without_a_probe(monitor, http_target, settings) -> None:
    settings.CHECKS_MAX_DELIVERIES = 3
    due = timezone.now()
    for _ in range(3):  # three deliveries whose worker died before storing anything
        delivery_count(monitor_id=monitor.id, region="local", due_at=due)
    result_id = run_check_task.apply(args=[monitor.id, due.isoformat(), "local"]).get()
    result = CheckResult.objects.get(id=result_id)
    assert (result.ok, result.error_kind, result.details["deliveries"]) == (False, "worker_lost", 4)
    assert http_target.requests == []  # the poison run was not run a fourth time
    # A fifth delivery (the fourth's ack lost) returns the same row and stores nothing more.
    assert run_check_task.apply(args=[monitor.id, due.isoformat(), "local"]).get() == result_id
    assert CheckResult.objects.filter(monitor=monitor).count() == 1
    # The next slot runs normally.
    after = run_check_task.apply(args=[monitor.id, (due + timedelta(seconds=60)).isoformat(), "local"]).get()
    assert CheckResult.objects.get(id=after).ok is True


def test_cel_10_third_delivery_still_runs_the_check(monitor, http_target, settings) -> None:
    settings.CHECKS_MAX_DELIVERIES = 3
    due = timezone.now()
    for _ in range(2):
        delivery_count(monitor_id=monitor.id, region="local", due_at=due)
    result = CheckResult.objects.get(id=run_check_task.apply(args=[monitor.id, due.isoformat(), "local"]).get())
    assert result.ok is True and len(http_target.requests) == 1


def test_first_delivery_writes_without_looking_for_a_stored_result(monitor) -> None:
    due = timezone.now()
    with CaptureQueriesContext(connection) as first:
        run_check_task.apply(args=[monitor.id, due.isoformat(), "local"]).get()
    with CaptureQueriesContext(connection) as redelivered:
        run_check_task.apply(args=[monitor.id, due.isoformat(), "local"]).get()

    def result_reads(queries) -> int:  # noqa: ANN001
        return sum(1 for q in queries if q["sql"].startswith("SELECT") and "checks_checkresult" in q["sql"])

    assert result_reads(first.captured_queries) == 0
    assert result_reads(redelivered.captured_queries) == 1  # the redelivery found the stored row
    assert CheckResult.objects.filter(monitor=monitor).count() == 1


def test_result_path_has_no_maintenance_query_while_windows_are_cached(monitor, settings) -> None:
    from checks.windows import windows_cache_clear  # noqa: PLC0415

    settings.CHECKS_MAINTENANCE_CACHE_SECONDS = 60
    windows_cache_clear()
    start = timezone.now()
    run_check_task.apply(args=[monitor.id, start.isoformat(), "local"]).get()
    with CaptureQueriesContext(connection) as second:
        run_check_task.apply(args=[monitor.id, (start + timedelta(seconds=60)).isoformat(), "local"]).get()
    assert not [q for q in second.captured_queries if "maintenancewindow" in q["sql"]]
    # A window saved in this process drops the cache at once: the next result is in maintenance.
    MaintenanceWindow.objects.create(
        organization=monitor.organization,
        monitor=monitor,
        name="Deploy",
        starts_at=start - timedelta(minutes=1),
        ends_at=start + timedelta(hours=1),
    )
    run_check_task.apply(args=[monitor.id, (start + timedelta(seconds=120)).isoformat(), "local"]).get()
    monitor.refresh_from_db()
    assert monitor.state == "maintenance"
    windows_cache_clear()
