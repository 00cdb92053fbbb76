"""Metrics and dashboard uptime read rollups plus the raw tail: never raw results older than the tail."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checks.models import CheckResult
from checks.rollups import rollups_build
from checks.selectors import metrics_for_monitor, uptime_by_monitor
from checks.tests.factories import make_monitor
from conftest import organization_of
from monitors.models import Monitor

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, 20, tzinfo=UTC)
CURRENT_HOUR = NOW.replace(minute=0)
PREVIOUS_HOUR = CURRENT_HOUR - timedelta(hours=1)


def monitor_of(user: Any, name: str = "Orders API") -> Monitor:
    return make_monitor(organization=organization_of(user), url="https://api.example.com/", name=name)


def add_results(monitor: Monitor, since: datetime, until: datetime, every: timedelta, region: str = "local") -> int:
    """One result per `every` in [since, until): every 4th failed, latency 20..219 ms."""
    rows, at, index = [], since, 0
    while at < until:
        ok = index % 4 != 0
        rows.append(
            CheckResult(monitor=monitor, region=region, due_at=at, started_at=at, ok=ok, latency_ms=20 + index % 200)
        )
        at, index = at + every, index + 1
    CheckResult.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def checkresult_lower_bounds(queries: list[dict[str, str]]) -> list[str]:
    """The lowest started_at each statement over checks_checkresult asks for (SQL as logged by Django)."""
    bounds = []
    for query in queries:
        if "checks_checkresult" in query["sql"]:
            bounds += re.findall(r'"checks_checkresult"\."started_at" >= \'([^\']+)\'', query["sql"])
    return bounds


def test_metrics_90d_are_unchanged_when_raw_results_older_than_the_tail_are_deleted(alice) -> None:
    """Issue 5 part 6: after rollup, deleting every raw result before the previous hour changes no number."""
    monitor = monitor_of(alice)
    add_results(monitor, NOW - timedelta(days=40), NOW, timedelta(minutes=10))
    add_results(monitor, NOW - timedelta(days=3), NOW, timedelta(minutes=7), region="us")
    rollups_build(since=NOW - timedelta(days=41), until=NOW, now=NOW)
    before = {name: metrics_for_monitor(monitor=monitor, range_name=name, now=NOW) for name in ("24h", "7d", "90d")}
    uptime_before = uptime_by_monitor(monitors=[monitor], since=NOW - timedelta(hours=24), now=NOW)

    deleted, _ = CheckResult.objects.filter(started_at__lt=PREVIOUS_HOUR).delete()

    assert deleted > 5000
    for name, metrics in before.items():
        assert metrics_for_monitor(monitor=monitor, range_name=name, now=NOW) == metrics
    assert uptime_by_monitor(monitors=[monitor], since=NOW - timedelta(hours=24), now=NOW) == uptime_before
    assert before["90d"].checks > 5000
    assert before["90d"].uptime_percent is not None and 74 < before["90d"].uptime_percent < 76


def test_metrics_and_uptime_sql_never_reads_results_before_the_previous_hour(alice) -> None:
    monitors = [monitor_of(alice, name=f"m{i}") for i in range(3)]
    for monitor in monitors:
        add_results(monitor, NOW - timedelta(days=2), NOW, timedelta(minutes=15))
    # The previous hour is not rolled up yet: its raw rows form the tail with the current hour's.
    rollups_build(since=NOW - timedelta(days=3), until=PREVIOUS_HOUR, now=NOW)

    with CaptureQueriesContext(connection) as metrics_queries:
        metrics = metrics_for_monitor(monitor=monitors[0], range_name="90d", now=NOW)
    with CaptureQueriesContext(connection) as uptime_queries:
        uptime = uptime_by_monitor(monitors=monitors, since=NOW - timedelta(hours=24), now=NOW)

    assert len(metrics_queries.captured_queries) == 2  # rollups, raw tail
    assert len(uptime_queries.captured_queries) == 1  # rollups UNION ALL raw tail
    bounds = checkresult_lower_bounds(metrics_queries.captured_queries + uptime_queries.captured_queries)
    assert bounds, "the raw tail is bounded below by started_at"
    moments = [datetime.fromisoformat(bound) for bound in bounds]
    assert all((m if m.tzinfo else m.replace(tzinfo=UTC)) >= PREVIOUS_HOUR for m in moments), bounds
    assert metrics.checks == 2 * 24 * 4
    window = CheckResult.objects.filter(
        monitor=monitors[0], started_at__gte=(NOW - timedelta(hours=24)).replace(minute=0)
    )
    assert set(uptime.values()) == {round(100.0 * window.filter(ok=True).count() / window.count(), 3)}


def test_the_previous_hour_counts_once_before_and_after_its_rollup(alice) -> None:
    monitor = monitor_of(alice)
    add_results(monitor, PREVIOUS_HOUR - timedelta(hours=3), NOW, timedelta(minutes=5))
    rollups_build(since=PREVIOUS_HOUR - timedelta(hours=3), until=PREVIOUS_HOUR, now=NOW)
    expected = CheckResult.objects.filter(started_at__gte=NOW.replace(hour=0, minute=0) - timedelta(days=1)).count()

    unrolled = metrics_for_monitor(monitor=monitor, range_name="30d", now=NOW)
    unrolled_uptime = uptime_by_monitor(monitors=[monitor], since=NOW - timedelta(hours=24), now=NOW)
    rollups_build(since=PREVIOUS_HOUR, until=CURRENT_HOUR, now=NOW)
    rolled = metrics_for_monitor(monitor=monitor, range_name="30d", now=NOW)

    assert unrolled.checks == rolled.checks == expected == 4 * 12 + 4
    assert unrolled == rolled
    assert uptime_by_monitor(monitors=[monitor], since=NOW - timedelta(hours=24), now=NOW) == unrolled_uptime


def test_metrics_series_are_whole_periods_ending_with_the_current_one(alice) -> None:
    monitor = monitor_of(alice)
    add_results(monitor, NOW - timedelta(days=8), NOW, timedelta(minutes=30))
    rollups_build(since=NOW - timedelta(days=9), until=NOW, now=NOW)

    for name, points, step in (("24h", 25, timedelta(hours=1)), ("7d", 85, timedelta(hours=2))):
        metrics = metrics_for_monitor(monitor=monitor, range_name=name, now=NOW)
        assert len(metrics.series) == points
        assert metrics.series[-1].t == NOW.replace(minute=0, hour=NOW.hour - NOW.hour % (step.seconds // 3600))
        assert all(b.t - a.t == step for a, b in zip(metrics.series, metrics.series[1:], strict=False))
        assert sum(point.checks for point in metrics.series) == metrics.checks
    month = metrics_for_monitor(monitor=monitor, range_name="30d", now=NOW)
    assert len(month.series) == 31
    assert month.series[-1].t == NOW.replace(hour=0, minute=0)
    assert [point.checks for point in month.series[-3:]] == [48, 48, 24]  # daily, hourly, hourly + raw
    assert month.series[0].checks == 0 and month.series[0].uptime_percent is None


def test_uptime_by_monitor_reads_rollups_for_each_monitor(alice) -> None:
    busy, idle, fresh = (monitor_of(alice, name=name) for name in ("busy", "idle", "fresh"))
    add_results(busy, NOW - timedelta(hours=30), NOW, timedelta(minutes=10))
    add_results(fresh, CURRENT_HOUR, NOW, timedelta(minutes=5))
    rollups_build(since=NOW - timedelta(days=2), until=NOW, now=NOW)

    uptime = uptime_by_monitor(monitors=[busy, idle, fresh], since=NOW - timedelta(hours=24), now=NOW)

    window = CheckResult.objects.filter(monitor=busy, started_at__gte=(NOW - timedelta(hours=24)).replace(minute=0))
    exact = round(100.0 * window.filter(ok=True).count() / window.count(), 3)
    assert uptime == {busy.id: exact, idle.id: None, fresh.id: 75.0}
