"""Time bounds on raw results that PostgreSQL can use: started_at exactly, due_at as the index/partition bound.

Readers filter results on started_at (when the probe ran: what users see, what rollups bucket by).
But on PostgreSQL checks_checkresult is partitioned by day on due_at (checks.partitions) and its only
b-tree is the slot index (monitor_id, due_at, region) (checks/0010): a started_at bound alone reads
every partition of the monitor. So every time filter here carries a due_at bound too, derived
from how far apart the two can be:

- heartbeats store due_at = started_at (a ping, or the deadline that passed);
- a scheduled slot is dispatched at most CHECKS_MISSED_AFTER_SECONDS (capped at the interval) after
  its due_at, its message expires max(interval, 30 s) + 30 s after dispatch (checks.services), and a
  batch runs at most its 100 s time limit: started_at - due_at < 2 x interval + START_SLACK;
- worker and database clocks may differ a little: started_at >= due_at - CLOCK_SKEW.

So started_at in [since, until) implies due_at in [since - lag(interval), until + CLOCK_SKEW): the
due_at bound never drops a row the started_at filter keeps. The lag depends on the monitor's
interval, so a query over many monitors ORs one due_at range per distinct interval.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from django.db.models import Q

from monitors.models import Monitor

START_SLACK = timedelta(minutes=10)  # dispatch delay + expiry grace + a batch's time limit, rounded up
CLOCK_SKEW = timedelta(minutes=5)


def start_lag(interval_seconds: int) -> timedelta:
    """The longest a result of a monitor with this interval can start after its due_at."""
    return 2 * timedelta(seconds=max(interval_seconds, 30)) + START_SLACK


def intervals_of(monitors: Iterable[Monitor | int]) -> dict[int, int]:
    """{monitor id: interval_seconds}; reads the database only for ids (or instances without the field loaded)."""
    known: dict[int, int] = {}
    missing: list[int] = []
    for monitor in monitors:
        if isinstance(monitor, Monitor) and "interval_seconds" in monitor.__dict__:
            known[monitor.id] = monitor.interval_seconds
        else:
            missing.append(monitor if isinstance(monitor, int) else monitor.id)
    if missing:
        known.update(Monitor.objects.filter(id__in=missing).values_list("id", "interval_seconds"))
    return known


def started_within(*, intervals: Mapping[int, int], since: datetime | None = None, until: datetime | None = None) -> Q:
    """Results of these monitors ({id: interval_seconds}) with since <= started_at < until (either bound optional).

    Adds due_at bounds (see the module docstring), one range per distinct interval, so PostgreSQL
    skips day partitions and range-scans the slot index. An empty mapping matches nothing.
    """
    by_interval: dict[int, list[int]] = {}
    for monitor_id, interval in intervals.items():
        by_interval.setdefault(interval, []).append(monitor_id)
    if not by_interval:
        return Q(pk__in=[])
    exact = Q()
    if since is not None:
        exact &= Q(started_at__gte=since)
    if until is not None:
        exact &= Q(started_at__lt=until)
    arms = Q()
    for interval, ids in sorted(by_interval.items()):
        arm = Q(monitor_id=ids[0]) if len(ids) == 1 else Q(monitor_id__in=sorted(ids))
        if since is not None:
            arm &= Q(due_at__gte=since - start_lag(interval))
        if until is not None:
            arm &= Q(due_at__lt=until + CLOCK_SKEW)
        arms |= arm
    return exact & arms


def started_before(*, monitor_id: int, cutoff: datetime) -> Q:
    """One monitor's results with started_at < cutoff (retention): due_at < cutoff + CLOCK_SKEW bounds the scan."""
    return Q(monitor_id=monitor_id, started_at__lt=cutoff, due_at__lt=cutoff + CLOCK_SKEW)


__all__ = ["CLOCK_SKEW", "START_SLACK", "intervals_of", "start_lag", "started_before", "started_within"]
