"""Hourly and daily rollups of check results, and the latency histogram they carry.

The histogram has fixed integer edges (EDGES_MS): one bucket per millisecond below 64 ms, then
each edge at most 2 % above the previous one (E[k+1] = floor(1.02 * E[k]) + 1) up to 300 s, then
one overflow bucket. A quantile is interpolated among the whole milliseconds of its bucket, so
the estimate and the exact value share a bucket and differ by at most E[k+1] - 1 - E[k] <= 2 %
of the value (exact below 64 ms). That is 476 buckets; a rollup stores only the non-empty ones as
{"index": count} JSON, typically 5-40 pairs (under ~400 bytes) for one monitor-hour, where a
dense list would cost ~1 KB of mostly zeros per row.
"""

from __future__ import annotations

import logging
import math
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncHour
from django.utils import timezone

from checks.models import CheckResult, Rollup, RollupProgress
from checks.result_window import intervals_of, started_within
from monitors.models import Monitor

logger = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
EXACT_BELOW_MS = 64
HISTOGRAM_MAX_MS = 300_000


def _edges() -> list[int]:
    edges = list(range(EXACT_BELOW_MS))
    edge = EXACT_BELOW_MS
    while edge < HISTOGRAM_MAX_MS:
        edges.append(edge)
        edge = edge * 102 // 100 + 1
    edges.append(HISTOGRAM_MAX_MS)  # the overflow bucket starts here
    return edges


EDGES_MS: list[int] = _edges()

# --- pure histogram functions -----------------------------------------------------------------

Histogram = dict[int, int]


def bucket_of(ms: int) -> int:
    """Index of the histogram bucket holding a latency in whole milliseconds."""
    return max(0, bisect_right(EDGES_MS, ms) - 1)


def merge(histograms: Iterable[Mapping[int, int]]) -> Histogram:
    """Sum of histograms (bucket-wise)."""
    total: Histogram = {}
    for histogram in histograms:
        for index, count in histogram.items():
            total[index] = total.get(index, 0) + count
    return total


def histogram_to_json(histogram: Mapping[int, int]) -> dict[str, int]:
    return {str(index): count for index, count in sorted(histogram.items()) if count}


def histogram_from_json(stored: Mapping[str, int]) -> Histogram:
    return {int(index): int(count) for index, count in stored.items()}


def quantile(histogram: Mapping[int, int], q: float, *, low: int | None = None, high: int | None = None) -> int | None:
    """Nearest-rank quantile (as checks.selectors.percentile), interpolated among the bucket's milliseconds.

    `low`/`high` (the true min and max, when known) clamp the estimate. None for an empty histogram.
    """
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for index in sorted(histogram):
        count = histogram[index]
        if seen + count >= rank:
            start = EDGES_MS[index]
            width = EDGES_MS[index + 1] - start if index + 1 < len(EDGES_MS) else 1
            offset = min(width - 1, ((2 * (rank - seen) - 1) * width) // (2 * count))
            estimate = start + offset
            if high is not None:
                estimate = min(estimate, high)
            if low is not None:
                estimate = max(estimate, low)
            return estimate
        seen += count
    return None  # unreachable: rank <= total


@dataclass
class Accumulator:
    """The fields of one rollup being summed up."""

    checks: int = 0
    ups: int = 0
    latency_count: int = 0
    latency_sum_ms: int = 0
    latency_min_ms: int | None = None
    latency_max_ms: int | None = None
    histogram: Histogram = field(default_factory=dict)

    def add_latency(self, latency_ms: int | None, *, checks: int, ups: int) -> None:
        """`checks` results (of which `ups` succeeded) that all took `latency_ms` (None: no latency)."""
        self.checks += checks
        self.ups += ups
        if latency_ms is None:
            return
        self.latency_count += checks
        self.latency_sum_ms += latency_ms * checks
        self.latency_min_ms = latency_ms if self.latency_min_ms is None else min(self.latency_min_ms, latency_ms)
        self.latency_max_ms = latency_ms if self.latency_max_ms is None else max(self.latency_max_ms, latency_ms)
        index = bucket_of(latency_ms)
        self.histogram[index] = self.histogram.get(index, 0) + checks

    def add(self, other: Accumulator) -> None:
        self.checks += other.checks
        self.ups += other.ups
        self.latency_count += other.latency_count
        self.latency_sum_ms += other.latency_sum_ms
        for value in (other.latency_min_ms, other.latency_max_ms):
            if value is not None:
                self.latency_min_ms = value if self.latency_min_ms is None else min(self.latency_min_ms, value)
                self.latency_max_ms = value if self.latency_max_ms is None else max(self.latency_max_ms, value)
        self.histogram = merge([self.histogram, other.histogram])

    def quantile(self, q: float) -> int | None:
        return quantile(self.histogram, q, low=self.latency_min_ms, high=self.latency_max_ms)

    @classmethod
    def of_rollup(
        cls, *, checks: int, ups: int, count: int, total: int, low: int | None, high: int | None, stored: dict
    ) -> Accumulator:
        return cls(checks, ups, count, total, low, high, histogram_from_json(stored))


# --- the build service ------------------------------------------------------------------------

MONITORS_PER_QUERY = 500
# The beat task: after an outage it catches up at most this far back, and this many hours a run.
CATCH_UP_HOURS = 48
HOURS_PER_RUN = 12
# Results of the hour just closed keep arriving for a while (a probe's deadline, queue lag):
# that hour is rebuilt on every run during this long after it closed.
LATE_RESULTS_GRACE = timedelta(minutes=15)

Key = tuple[int, str, datetime]  # monitor id, region, bucket start


def floor_to(moment: datetime, step: timedelta) -> datetime:
    """Start of the UTC-aligned step (hour, day, 2 h...) holding `moment`."""
    seconds = int(step.total_seconds())
    return datetime.fromtimestamp(int(moment.timestamp()) // seconds * seconds, tz=UTC)


def _hourly_from_results(monitor_ids: list[int], since: datetime, until: datetime) -> dict[Key, Accumulator]:
    """One grouped query: (monitor, region, hour, latency) -> count and successes, reduced to rollups."""
    rows = (
        # started_at buckets the rollups; the due_at bound of started_within prunes day partitions.
        CheckResult.objects.filter(started_within(intervals=intervals_of(monitor_ids), since=since, until=until))
        .annotate(hour=TruncHour("started_at", tzinfo=UTC))
        .order_by()
        .values_list("monitor_id", "region", "hour", "latency_ms")
        .annotate(n=Count("id"), up=Count("id", filter=Q(ok=True)))
    )
    found: dict[Key, Accumulator] = {}
    for monitor_id, region, hour, latency_ms, n, up in rows:
        found.setdefault((monitor_id, region, hour), Accumulator()).add_latency(latency_ms, checks=n, ups=up)
    return found


# A rollup's aggregate columns: what an upsert rewrites and what a daily row sums from hourly ones.
_AGGREGATE_FIELDS = (
    "checks",
    "ups",
    "latency_count",
    "latency_sum_ms",
    "latency_min_ms",
    "latency_max_ms",
    "histogram",
)


def _upsert(period: str, found: dict[Key, Accumulator]) -> int:
    rows = [
        Rollup(
            monitor_id=monitor_id,
            region=region,
            period=period,
            bucket_start=bucket_start,
            checks=acc.checks,
            ups=acc.ups,
            latency_count=acc.latency_count,
            latency_sum_ms=acc.latency_sum_ms,
            latency_min_ms=acc.latency_min_ms,
            latency_max_ms=acc.latency_max_ms,
            histogram=histogram_to_json(acc.histogram),
        )
        for (monitor_id, region, bucket_start), acc in found.items()
    ]
    Rollup.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["monitor", "period", "bucket_start", "region"],
        update_fields=list(_AGGREGATE_FIELDS),
    )
    return len(rows)


def _daily_from_hourly(day: datetime) -> int:
    """(Re)build one day's daily rollups from its hourly ones; returns the rows written."""
    found: dict[Key, Accumulator] = {}
    hourly = (
        Rollup.objects.filter(period=Rollup.Period.HOUR, bucket_start__gte=day, bucket_start__lt=day + DAY)
        .order_by()
        .values_list("monitor_id", "region", *_AGGREGATE_FIELDS)
    )
    for monitor_id, region, checks, ups, count, total, low, high, stored in hourly.iterator(chunk_size=2000):
        one = Accumulator.of_rollup(checks=checks, ups=ups, count=count, total=total, low=low, high=high, stored=stored)
        found.setdefault((monitor_id, region, day), Accumulator()).add(one)
    with transaction.atomic():
        return _upsert(Rollup.Period.DAY, found)


@dataclass(frozen=True)
class BuildReport:
    hours: int
    hourly_rows: int
    days: int
    daily_rows: int


def rollups_build(*, since: datetime, until: datetime, now: datetime | None = None) -> BuildReport:
    """(Re)compute hourly rollups of the closed hours in [since, until) from raw results, then the
    daily rollups of every day whose last hour is among them, from the hourly rows.

    Idempotent: an upsert per bucket, so a re-run writes the same rows. Never deletes a rollup
    (raw results past retention are gone; their rollups stay). Only rebuild hours whose raw
    results are still kept: an hour partly purged would be rolled up again from what is left.
    One transaction per group of monitors, so a monitor's regions of one hour appear together.
    """
    closed_until = floor_to(now or timezone.now(), HOUR)
    start, end = floor_to(since, HOUR), min(floor_to(until, HOUR), closed_until)
    if start >= end:
        return BuildReport(0, 0, 0, 0)
    monitor_ids = list(Monitor.objects.order_by("id").values_list("id", flat=True))
    hourly_rows = 0
    for first in range(0, len(monitor_ids), MONITORS_PER_QUERY):
        found = _hourly_from_results(monitor_ids[first : first + MONITORS_PER_QUERY], start, end)
        with transaction.atomic():
            hourly_rows += _upsert(Rollup.Period.HOUR, found)
    # Days whose 23:00 hour was (re)built: they are closed, their hourly rows complete.
    days = _days_ending_in(start, end)
    daily_rows = sum(_daily_from_hourly(day) for day in days)
    hours = int((end - start) / HOUR)
    logger.info(
        "rollups built since=%s until=%s hours=%s hourly_rows=%s days=%s daily_rows=%s",
        start.isoformat(),
        end.isoformat(),
        hours,
        hourly_rows,
        len(days),
        daily_rows,
    )
    return BuildReport(hours, hourly_rows, len(days), daily_rows)


def _days_ending_in(start: datetime, end: datetime) -> list[datetime]:
    """Days whose last hour (23:00 UTC) lies in [start, end)."""
    days = []
    day = floor_to(start, DAY)
    while day < end:
        if start <= day + timedelta(hours=23) < end:
            days.append(day)
        day += DAY
    return days


def rollups_build_recent(*, now: datetime | None = None) -> BuildReport:
    """The beat task's run: the closed hours not built yet (at most HOURS_PER_RUN, none older than
    CATCH_UP_HOURS), plus the hour just closed again while its late results may still arrive.

    Progress is kept in RollupProgress, so hours without any result do not stall it.
    """
    now = now or timezone.now()
    current = floor_to(now, HOUR)
    catch_up_from = current - timedelta(hours=CATCH_UP_HOURS)
    progress, _ = RollupProgress.objects.get_or_create(period="hour", defaults={"built_until": catch_up_from})
    start = max(progress.built_until, catch_up_from)
    if now - current < LATE_RESULTS_GRACE:
        start = min(start, current - HOUR)
    end = min(current, start + timedelta(hours=HOURS_PER_RUN))
    report = rollups_build(since=start, until=end, now=now)
    # Conditional: two overlapping runs never move the mark backwards.
    RollupProgress.objects.filter(period="hour", built_until__lt=end).update(built_until=end)
    return report
