"""Read-side queries of the checks app: results, uptime and latency percentiles.

Metrics and the dashboard's uptime read rollups (checks.rollups) for closed hours and raw
results only for the tail: the current hour, and the previous one until its rollup is written.
Raw results are filtered on started_at with a due_at bound besides (checks.result_window): on
PostgreSQL that prunes day partitions and range-scans the slot index (monitor_id, due_at, region).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from checks.models import CheckResult, HeartbeatPing, Rollup, StatusChange
from checks.result_window import intervals_of, started_within
from checks.rollups import DAY, HOUR, Accumulator, floor_to
from monitors.models import Monitor

# range name -> (length, bucket size of the series). Past the first hour the series steps are
# whole rollup periods (hours, or days where the step is a day), since rollups cannot be split.
RANGES: dict[str, tuple[timedelta, timedelta]] = {
    "1h": (timedelta(hours=1), timedelta(minutes=1)),
    "24h": (timedelta(hours=24), timedelta(hours=1)),
    "7d": (timedelta(days=7), timedelta(hours=2)),
    "30d": (timedelta(days=30), timedelta(days=1)),
    "90d": (timedelta(days=90), timedelta(days=1)),
}


def result_list_for_monitor(
    *, monitor: Monitor, since: datetime | None = None, until: datetime | None = None
) -> QuerySet[CheckResult]:
    """The monitor's results, newest slot first (due_at, then id), optionally with since <= started_at < until.

    Ordered by due_at (the slot; started_at is within seconds of it) so that PostgreSQL pages
    through the slot index backwards, merging day partitions, without sorting the monitor's history.
    """
    results = CheckResult.objects.filter(monitor=monitor)
    if since is not None or until is not None:
        results = results.filter(started_within(intervals=intervals_of([monitor]), since=since, until=until))
    return results.order_by("-due_at", "-id")


ROLLUP_FIELDS = ("checks", "ups", "latency_count", "latency_sum_ms", "latency_min_ms", "latency_max_ms", "histogram")


def percentile(sorted_values: Sequence[int], fraction: float) -> int | None:
    """Nearest-rank percentile of already sorted values; None when there are none."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def _uptime(up: int, total: int) -> float | None:
    return round(100.0 * up / total, 3) if total else None


@dataclass(frozen=True)
class SeriesPoint:
    t: datetime
    checks: int
    uptime_percent: float | None
    p95_ms: int | None


@dataclass(frozen=True)
class Metrics:
    range: str
    since: datetime
    until: datetime
    checks: int
    uptime_percent: float | None
    p50_ms: int | None
    p95_ms: int | None
    p99_ms: int | None
    series: list[SeriesPoint]


def metrics_for_monitor(*, monitor: Monitor, range_name: str, now: datetime | None = None) -> Metrics:
    """Uptime % and p50/p95/p99 latency over a named range, plus a bucketed series. KeyError for an unknown range.

    "1h" reads raw results (exact). Longer ranges start at the step boundary at or before
    now - length and read rollups (checks.rollups; percentiles within 2 %) for the closed hours,
    daily ones for whole days before yesterday where the step is a day, and raw results only
    for the tail: the current hour, and the previous one while it is not rolled up yet.
    Two queries, whatever the range.
    """
    length, step = RANGES[range_name]
    until = now or timezone.now()
    if range_name == "1h":
        return _metrics_from_results(range_name=range_name, monitor=monitor, since=until - length, until=until)
    since = floor_to(until - length, step)
    current_hour = floor_to(until, HOUR)
    daily_until = floor_to(until, DAY) - DAY if step >= DAY else since
    rollups = (
        Rollup.objects.order_by()
        .filter(monitor=monitor)
        .filter(
            Q(period=Rollup.Period.DAY, bucket_start__gte=since, bucket_start__lt=daily_until)
            | Q(period=Rollup.Period.HOUR, bucket_start__gte=max(since, daily_until), bucket_start__lt=current_hour)
        )
    )
    points = [Accumulator() for _ in range(int((floor_to(until, step) - since) / step) + 1)]
    previous_hour_rolled = False
    for period, bucket_start, checks, ups, count, total, low, high, stored in rollups.values_list(
        "period", "bucket_start", *ROLLUP_FIELDS
    ):
        one = Accumulator.of_rollup(checks=checks, ups=ups, count=count, total=total, low=low, high=high, stored=stored)
        points[int((bucket_start - since) / step)].add(one)
        previous_hour_rolled |= period == Rollup.Period.HOUR and bucket_start == current_hour - HOUR
    tail_start = current_hour if previous_hour_rolled else current_hour - HOUR
    window = started_within(intervals=intervals_of([monitor]), since=tail_start, until=until)
    tail = CheckResult.objects.order_by().filter(window)
    for started_at, ok, latency_ms in tail.values_list("started_at", "ok", "latency_ms"):
        points[int((started_at - since) / step)].add_latency(latency_ms, checks=1, ups=int(ok))
    totals = Accumulator()
    for point in points:
        totals.add(point)
    return Metrics(
        range=range_name,
        since=since,
        until=until,
        checks=totals.checks,
        uptime_percent=_uptime(totals.ups, totals.checks),
        p50_ms=totals.quantile(0.50),
        p95_ms=totals.quantile(0.95),
        p99_ms=totals.quantile(0.99),
        series=[
            SeriesPoint(
                t=since + index * step,
                checks=point.checks,
                uptime_percent=_uptime(point.ups, point.checks),
                p95_ms=point.quantile(0.95),
            )
            for index, point in enumerate(points)
        ],
    )


def _metrics_from_results(*, range_name: str, monitor: Monitor, since: datetime, until: datetime) -> Metrics:
    """Exact metrics from raw results, for a range inside the raw tail."""
    bucket = RANGES[range_name][1]
    rows = list(
        CheckResult.objects.filter(
            started_within(intervals=intervals_of([monitor]), since=since, until=until)
        ).values_list("started_at", "ok", "latency_ms")
    )
    bucket_count = math.ceil((until - since) / bucket)
    buckets: list[list[tuple[bool, int | None]]] = [[] for _ in range(bucket_count)]
    for started_at, ok, latency in rows:
        index = min(int((started_at - since) / bucket), bucket_count - 1)
        buckets[index].append((ok, latency))
    latencies = sorted(latency for _, _, latency in rows if latency is not None)
    series = []
    for index, items in enumerate(buckets):
        bucket_latencies = sorted(latency for _, latency in items if latency is not None)
        series.append(
            SeriesPoint(
                t=since + index * bucket,
                checks=len(items),
                uptime_percent=_uptime(sum(1 for ok, _ in items if ok), len(items)),
                p95_ms=percentile(bucket_latencies, 0.95),
            )
        )
    return Metrics(
        range=range_name,
        since=since,
        until=until,
        checks=len(rows),
        uptime_percent=_uptime(sum(1 for _, ok, _ in rows if ok), len(rows)),
        p50_ms=percentile(latencies, 0.50),
        p95_ms=percentile(latencies, 0.95),
        p99_ms=percentile(latencies, 0.99),
        series=series,
    )


def uptime_by_monitor(
    *, monitors: Iterable[Monitor], since: datetime, now: datetime | None = None
) -> dict[int, float | None]:
    """{monitor id: uptime % since `since`} in one statement; None where no check ran.

    The hour holding `since` counts whole. Closed hours come from hourly rollups (grouped over all
    monitors through rollup_monitor_period_time_uniq), UNION ALL raw results of the current hour
    and of the previous one where that monitor's rollup of it is not written yet. One statement
    is one snapshot, so a rollup committed meanwhile is counted once, never twice or not at all.
    """
    monitors = list(monitors)
    ids = [m.id for m in monitors]
    now = now or timezone.now()
    current_hour = floor_to(now, HOUR)
    previous_hour = current_hour - HOUR
    since = floor_to(since, HOUR)
    previous_rolled = Rollup.objects.filter(
        monitor_id=OuterRef("monitor_id"), period=Rollup.Period.HOUR, bucket_start=previous_hour
    )
    in_tail = Q(started_at__gte=max(since, current_hour)) | Q(
        ~Exists(previous_rolled), started_at__gte=max(since, previous_hour), started_at__lt=current_hour
    )
    rows = (
        CheckResult.objects.filter(
            in_tail, started_within(intervals=intervals_of(monitors), since=max(since, previous_hour), until=now)
        )
        .order_by()
        .values("monitor_id")
        .annotate(total=Count("id"), up=Count("id", filter=Q(ok=True)))
    )
    if since < current_hour:
        hourly = (
            Rollup.objects.filter(
                monitor_id__in=ids,
                period=Rollup.Period.HOUR,
                bucket_start__gte=since,
                bucket_start__lt=current_hour,
            )
            .order_by()
            .values("monitor_id")
            .annotate(total=Sum("checks"), up=Sum("ups"))
        )
        rows = rows.union(hourly, all=True)
    totals: dict[int, list[int]] = {}
    for row in rows:
        total = totals.setdefault(row["monitor_id"], [0, 0])
        total[0] += row["total"]
        total[1] += row["up"]
    return {i: _uptime(totals[i][1], totals[i][0]) if i in totals else None for i in ids}


def latency_points_for_monitor(
    *, monitor: Monitor, since: datetime, limit: int = 1000
) -> list[tuple[datetime, int | None, bool]]:
    """(started_at, latency_ms, ok) oldest first, for the latency chart."""
    rows = (
        CheckResult.objects.filter(started_within(intervals=intervals_of([monitor]), since=since))
        .order_by("-started_at")
        .values_list("started_at", "latency_ms", "ok")[:limit]
    )
    return list(reversed(rows))


def status_change_monitor_ids_unprocessed(*, limit: int) -> list[int]:
    """Monitors with unprocessed StatusChange rows, each once, in order of its oldest one.

    Reads through statuschange_unprocessed_idx.
    """
    rows = (
        StatusChange.objects.filter(processed_at=None).order_by("created_at", "id").values_list("monitor_id", flat=True)
    )
    return list(dict.fromkeys(rows[:limit]))


def status_change_list_unprocessed(*, monitor_id: int) -> QuerySet[StatusChange]:
    """One monitor's unprocessed StatusChange rows, oldest first."""
    return StatusChange.objects.filter(monitor_id=monitor_id, processed_at=None).order_by("created_at", "id")


def heartbeat_ping_list_for_monitor(*, monitor: Monitor) -> QuerySet[HeartbeatPing]:
    """The pings of one monitor (already fetched for the caller's organisation), newest first.

    Read through heartbeatping_monitor_idx.
    """
    return HeartbeatPing.objects.filter(monitor=monitor).order_by("-received_at", "-id")
