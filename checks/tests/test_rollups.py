"""checks.rollups: the latency histogram's error bound, and the idempotent hourly/daily build."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from checks.models import CheckResult, Rollup, RollupProgress
from checks.rollups import (
    EDGES_MS,
    bucket_of,
    histogram_from_json,
    merge,
    quantile,
    rollups_build,
    rollups_build_recent,
)
from checks.selectors import metrics_for_monitor, percentile
from checks.tasks import build_rollups_task
from checks.tests.factories import make_monitor
from conftest import organization_of
from monitors.models import Monitor

NOW = datetime(2026, 3, 10, 12, 20, tzinfo=UTC)
QUANTILES = (0.50, 0.95, 0.99)


def heavy_tailed(seed: int, n: int) -> list[int]:
    """Latencies in whole ms: half lognormal (median ~80 ms), half Pareto (alpha 1.5, from 20 ms), capped at 60 s."""
    rng = random.Random(seed)
    values = [rng.lognormvariate(4.4, 0.9) for _ in range(n // 2)]
    values += [20 * rng.paretovariate(1.5) for _ in range(n - n // 2)]
    return [min(60_000, max(1, round(value))) for value in values]


def relative_error(estimate: int | None, exact: int | None) -> float:
    assert estimate is not None and exact is not None
    return abs(estimate - exact) / exact


def add_results(monitor: Monitor, rows: list[tuple[datetime, bool, int | None]], region: str = "local") -> None:
    CheckResult.objects.bulk_create(
        [
            CheckResult(monitor=monitor, region=region, due_at=at, started_at=at, ok=ok, latency_ms=latency)
            for at, ok, latency in rows
        ],
        batch_size=2000,
    )


def monitor_of(user: Any) -> Monitor:
    return make_monitor(organization=organization_of(user), url="https://api.example.com/")


# --- pure histogram functions -------------------------------------------------------------------


def test_histogram_edges_are_integers_at_most_2_percent_apart() -> None:
    assert EDGES_MS[:64] == list(range(64))
    assert all(b > a for a, b in zip(EDGES_MS, EDGES_MS[1:], strict=False))
    assert max((b - 1 - a) / a for a, b in zip(EDGES_MS[1:], EDGES_MS[2:], strict=False)) <= 0.02
    assert len(EDGES_MS) == 476


@pytest.mark.parametrize("ms", [0, 1, 63, 64, 65, 99, 100, 1234, 59_999, 299_999, 300_000, 10**7])
def test_bucket_of_puts_a_value_between_its_edges(ms: int) -> None:
    index = bucket_of(ms)
    assert EDGES_MS[index] <= ms
    assert index == len(EDGES_MS) - 1 or ms < EDGES_MS[index + 1]


def test_quantile_is_exact_below_64_ms_and_for_dense_integers() -> None:
    values = list(range(1, 201))  # every millisecond of each bucket present once
    histogram = merge([{bucket_of(v): 1} for v in values])
    for q in QUANTILES:
        assert quantile(histogram, q, low=1, high=200) == percentile(values, q)
    assert quantile({}, 0.5) is None


def test_rollup_quantiles_within_2_percent_of_exact_pure() -> None:
    """50,000 seeded heavy-tailed latencies: every quantile from the histogram within 2 % of the exact one."""
    for seed in (1, 2, 3):
        values = sorted(heavy_tailed(seed, 50_000))
        histogram: dict[int, int] = {}
        for value in values:
            histogram[bucket_of(value)] = histogram.get(bucket_of(value), 0) + 1
        for q in (0.5, 0.9, 0.95, 0.99, 0.999):
            estimate = quantile(histogram, q, low=values[0], high=values[-1])
            assert relative_error(estimate, percentile(values, q)) <= 0.02, (seed, q)


# --- the build, and metrics read from it ---------------------------------------------------------


@pytest.mark.django_db
def test_rollup_quantiles_within_2_percent_of_exact(alice) -> None:
    """30,000 seeded heavy-tailed results over 3 days in two regions, rolled up: the 7d and 90d metrics
    have p50/p95/p99 within 2 % of the exact values from the raw rows, and exactly their uptime."""
    monitor = monitor_of(alice)
    latencies = heavy_tailed(42, 30_000)
    rng = random.Random(7)
    start = NOW - timedelta(days=3)
    rows = []
    for index, latency in enumerate(latencies):
        ok = rng.random() > 0.03
        rows.append((start + timedelta(seconds=8 * index), ok, latency if ok or index % 2 else None))
    add_results(monitor, rows[::2], region="eu")
    add_results(monitor, rows[1::2], region="us")

    rollups_build(since=start, until=NOW, now=NOW)

    exact = sorted(latency for _, _, latency in rows if latency is not None)
    ups = sum(1 for _, ok, _ in rows if ok)
    for range_name in ("7d", "90d"):
        metrics = metrics_for_monitor(monitor=monitor, range_name=range_name, now=NOW)
        assert metrics.checks == len(rows)
        assert metrics.uptime_percent == round(100.0 * ups / len(rows), 3)
        assert sum(point.checks for point in metrics.series) == len(rows)
        for q, estimate in zip(QUANTILES, (metrics.p50_ms, metrics.p95_ms, metrics.p99_ms), strict=True):
            assert relative_error(estimate, percentile(exact, q)) <= 0.02, (range_name, q)


@pytest.mark.django_db
def test_rollups_build_is_idempotent_and_skips_the_open_hour(alice) -> None:
    monitor = monitor_of(alice)
    hour = NOW.replace(minute=0) - timedelta(hours=2)
    add_results(monitor, [(hour + timedelta(minutes=m), m % 5 != 0, 10 + m) for m in range(0, 140)])

    first = rollups_build(since=hour, until=NOW + timedelta(hours=3), now=NOW)
    rows = list(Rollup.objects.order_by("id").values())
    second = rollups_build(since=hour, until=NOW + timedelta(hours=3), now=NOW)

    assert first.hours == second.hours == 2  # the current hour (12:00) is still open
    assert list(Rollup.objects.order_by("id").values()) == rows
    assert [(r["bucket_start"], r["checks"], r["ups"]) for r in rows] == [
        (hour, 60, 48),
        (hour + timedelta(hours=1), 60, 48),
    ]
    assert rows[0]["latency_min_ms"] == 10 and rows[0]["latency_max_ms"] == 69
    assert rows[0]["latency_sum_ms"] == sum(range(10, 70))
    assert sum(histogram_from_json(rows[0]["histogram"]).values()) == 60


@pytest.mark.django_db
def test_daily_rollup_is_the_sum_of_its_hours(alice) -> None:
    monitor = monitor_of(alice)
    day = datetime(2026, 3, 8, tzinfo=UTC)
    rows = [(day + timedelta(minutes=7 * i), i % 9 != 0, None if i % 13 == 0 else 5 + i) for i in range(24 * 60 // 7)]
    add_results(monitor, rows)

    report = rollups_build(since=day, until=day + timedelta(days=1), now=NOW)

    assert report.days == 1
    daily = Rollup.objects.get(period="day")
    hourly = list(Rollup.objects.filter(period="hour"))
    assert daily.bucket_start == day
    assert daily.checks == sum(h.checks for h in hourly) == len(rows)
    assert daily.ups == sum(h.ups for h in hourly)
    assert daily.latency_count == sum(1 for _, _, latency in rows if latency is not None)
    assert daily.latency_sum_ms == sum(latency for _, _, latency in rows if latency is not None)
    assert (daily.latency_min_ms, daily.latency_max_ms) == (6, 5 + len(rows) - 1)
    assert histogram_from_json(daily.histogram) == merge(histogram_from_json(h.histogram) for h in hourly)


@pytest.mark.django_db
def test_rollups_build_recent_catches_up_bounded_and_over_empty_hours(alice) -> None:
    monitor = monitor_of(alice)
    current = NOW.replace(minute=0)
    RollupProgress.objects.create(period="hour", built_until=current - timedelta(hours=30))
    # Nothing at all for 20 hours, then results in the last 10 closed hours.
    add_results(monitor, [(current - timedelta(hours=h, minutes=30), True, 50) for h in range(1, 11)])

    first = rollups_build_recent(now=NOW)  # 12 hours, all empty: progress moves anyway
    assert first.hours == 12 and first.hourly_rows == 0
    assert RollupProgress.objects.get().built_until == current - timedelta(hours=18)
    second = rollups_build_recent(now=NOW)
    third = rollups_build_recent(now=NOW)
    fourth = rollups_build_recent(now=NOW)

    assert (second.hours, second.hourly_rows, third.hours, third.hourly_rows) == (12, 5, 6, 5)
    assert RollupProgress.objects.get().built_until == current
    assert Rollup.objects.filter(period="hour").count() == 10
    assert fourth.hours == 0  # up to date; past the grace the closed hour is not rebuilt


@pytest.mark.django_db
def test_rollups_build_recent_rebuilds_the_hour_just_closed_during_the_grace(alice) -> None:
    monitor = monitor_of(alice)
    current = NOW.replace(minute=0)
    RollupProgress.objects.create(period="hour", built_until=current)
    add_results(monitor, [(current - timedelta(minutes=10), True, 50)])
    rollups_build_recent(now=current + timedelta(minutes=5))
    add_results(monitor, [(current - timedelta(minutes=1), False, None)])  # a late result

    rollups_build_recent(now=current + timedelta(minutes=10))

    assert Rollup.objects.get(bucket_start=current - timedelta(hours=1)).checks == 2


@pytest.mark.django_db
def test_build_rollups_task_runs(alice) -> None:
    monitor = monitor_of(alice)
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    RollupProgress.objects.create(period="hour", built_until=two_hours_ago - timedelta(hours=1))
    add_results(monitor, [(two_hours_ago, True, 30)])
    assert build_rollups_task.apply().get() >= 1
    assert Rollup.objects.filter(monitor=monitor, period="hour", checks=1).exists()
