"""Read-side queries of the checks app: results, uptime and latency percentiles.

Metrics are computed from raw results for now (one indexed range scan per monitor via
checkresult_monitor_time_idx). TODO(#5): serve ranges beyond the current hour from rollups.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from checks.models import CheckResult, HeartbeatPing, StatusChange
from monitors.models import Monitor

# range name -> (length, bucket size of the series)
RANGES: dict[str, tuple[timedelta, timedelta]] = {
    "1h": (timedelta(hours=1), timedelta(minutes=1)),
    "24h": (timedelta(hours=24), timedelta(minutes=30)),
    "7d": (timedelta(days=7), timedelta(hours=2)),
    "30d": (timedelta(days=30), timedelta(hours=12)),
    "90d": (timedelta(days=90), timedelta(days=1)),
}


def result_list_for_monitor(
    *, monitor: Monitor, since: datetime | None = None, until: datetime | None = None
) -> QuerySet[CheckResult]:
    """The monitor's results, newest first, optionally within [since, until)."""
    results = CheckResult.objects.filter(monitor=monitor)
    if since is not None:
        results = results.filter(started_at__gte=since)
    if until is not None:
        results = results.filter(started_at__lt=until)
    return results.order_by("-started_at", "-id")


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
    """Uptime % and p50/p95/p99 latency over a named range, plus a bucketed series. KeyError for an unknown range."""
    length, bucket = RANGES[range_name]
    until = now or timezone.now()
    since = until - length
    rows = list(
        CheckResult.objects.filter(monitor=monitor, started_at__gte=since, started_at__lt=until).values_list(
            "started_at", "ok", "latency_ms"
        )
    )
    bucket_count = math.ceil(length / bucket)
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


def uptime_by_monitor(*, monitors: Iterable[Monitor], since: datetime) -> dict[int, float | None]:
    """{monitor id: uptime % since `since`} in one grouped query; None where no check ran."""
    ids = [m.id for m in monitors]
    counts = (
        CheckResult.objects.filter(monitor_id__in=ids, started_at__gte=since)
        .values("monitor_id")
        .annotate(total=Count("id"), up=Count("id", filter=Q(ok=True)))
    )
    found = {row["monitor_id"]: _uptime(row["up"], row["total"]) for row in counts}
    return {monitor_id: found.get(monitor_id) for monitor_id in ids}


def latency_points_for_monitor(
    *, monitor: Monitor, since: datetime, limit: int = 1000
) -> list[tuple[datetime, int | None, bool]]:
    """(started_at, latency_ms, ok) oldest first, for the latency chart."""
    rows = (
        CheckResult.objects.filter(monitor=monitor, started_at__gte=since)
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
