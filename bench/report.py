"""The benchmark's figures, computed from plain rows (no Django, no processes): tested in tests/test_bench.py."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

# Slots are on the grid when due_at - first_due is a whole number of intervals, to this tolerance.
GRID_TOLERANCE = timedelta(milliseconds=5)


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile of unsorted values; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def slots_in_window(*, first_due: datetime, interval: timedelta, start: datetime, end: datetime) -> int:
    """How many slots first_due + k*interval (k >= 0) fall in [start, end)."""
    if first_due >= end:
        return 0
    skip = 0 if first_due >= start else math.ceil((start - first_due) / interval)
    first_in = first_due + skip * interval
    if first_in >= end:
        return 0
    return math.floor((end - first_in - timedelta(microseconds=1)) / interval) + 1


def on_grid(*, due_at: datetime, first_due: datetime, interval: timedelta) -> bool:
    offset = (due_at - first_due) % interval
    return offset <= GRID_TOLERANCE or interval - offset <= GRID_TOLERANCE


@dataclass(frozen=True)
class Schedule:
    """The slots the harness laid out: each monitor's first due time, one interval for all."""

    first_due: dict[int, datetime]
    interval: timedelta
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Result:
    monitor_id: int
    due_at: datetime
    started_at: datetime


@dataclass
class ScheduleFigures:
    scheduled: int  # slots the schedule puts in the window
    claimed: int  # slots the dispatcher moved past (from each monitor's final next_check_at)
    executed: int  # distinct on-grid slots in the window with a stored result
    missed: int  # scheduled - executed: the bar is 0
    off_grid: int  # results in the window whose due_at is not on the monitor's grid (drift)
    lag_p50_s: float | None
    lag_p99_s: float | None
    lag_max_s: float | None
    rows_per_s: float


def schedule_figures(
    *, schedule: Schedule, results: Iterable[Result], final_next_check_at: dict[int, datetime]
) -> ScheduleFigures:
    window = (schedule.start, schedule.end)
    scheduled = 0
    claimed = 0
    for monitor_id, first_due in schedule.first_due.items():
        scheduled += slots_in_window(first_due=first_due, interval=schedule.interval, start=window[0], end=window[1])
        next_at = final_next_check_at.get(monitor_id, first_due)
        claimed += slots_in_window(
            first_due=first_due, interval=schedule.interval, start=window[0], end=min(next_at, window[1])
        )
    slots: set[tuple[int, datetime]] = set()
    lags: list[float] = []
    off_grid = 0
    for row in results:
        first_due = schedule.first_due.get(row.monitor_id)
        if first_due is None or not window[0] <= row.due_at < window[1]:
            continue
        if not on_grid(due_at=row.due_at, first_due=first_due, interval=schedule.interval):
            off_grid += 1
            continue
        if (row.monitor_id, row.due_at) in slots:
            continue
        slots.add((row.monitor_id, row.due_at))
        lags.append((row.started_at - row.due_at).total_seconds())
    executed = len(slots)
    seconds = (window[1] - window[0]).total_seconds()
    return ScheduleFigures(
        scheduled=scheduled,
        claimed=claimed,
        executed=executed,
        missed=scheduled - executed,
        off_grid=off_grid,
        lag_p50_s=_round(percentile(lags, 0.50)),
        lag_p99_s=_round(percentile(lags, 0.99)),
        lag_max_s=_round(max(lags) if lags else None),
        rows_per_s=round(executed / seconds, 2) if seconds > 0 else 0.0,
    )


def cpu_per_thousand(*, cpu_seconds: dict[str, float], checks: int) -> dict[str, float | None]:
    """CPU seconds each component spent per 1,000 executed checks (None when nothing ran)."""
    return {name: (round(1000 * sec / checks, 3) if checks else None) for name, sec in cpu_seconds.items()}


def bytes_per_million(*, table_bytes: int, rows: int) -> int | None:
    return round(table_bytes / rows * 1_000_000) if rows else None


def timing_summary(samples_ms: Sequence[float]) -> dict[str, float | int | None]:
    return {
        "calls": len(samples_ms),
        "median_ms": _round(statistics.median(samples_ms) if samples_ms else None, 1),
        "p95_ms": _round(percentile(samples_ms, 0.95), 1),
        "max_ms": _round(max(samples_ms) if samples_ms else None, 1),
    }


@dataclass
class Report:
    started_at: str
    parameters: dict[str, object]
    schedule: ScheduleFigures
    cpu_seconds: dict[str, float]
    cpu_per_1000_checks: dict[str, float | None]
    database: dict[str, object]
    queries: dict[str, dict[str, object]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def render_text(report: Report) -> str:
    p, s = report.parameters, report.schedule
    lines = [
        f"Driftwatch benchmark {report.started_at}",
        f"  {p.get('monitors')} HTTP monitors every {p.get('interval')} s for {p.get('duration')} s; "
        f"{p.get('workers')} worker(s) x concurrency {p.get('concurrency') or 'default'}; target {p.get('target')}",
        "",
        "Schedule",
        f"  scheduled slots        {s.scheduled}",
        f"  claimed by dispatcher  {s.claimed}",
        f"  executed               {s.executed}",
        f"  missed                 {s.missed}   (bar: 0)",
        f"  off-grid results       {s.off_grid}",
        f"  lag p50 / p99 / max    {_fmt(s.lag_p50_s)} / {_fmt(s.lag_p99_s)} / {_fmt(s.lag_max_s)} s"
        "   (bar: p99 < 2 s)",
        f"  result rows/s          {s.rows_per_s}",
        "",
        "CPU seconds (per 1,000 checks)",
    ]
    for name, seconds in report.cpu_seconds.items():
        lines.append(f"  {name:<26} {seconds:8.2f} s   ({_fmt(report.cpu_per_1000_checks.get(name))})")
    db = report.database
    lines += [
        "",
        "Database",
        f"  checkresult rows       {db.get('rows')}",
        f"  checkresult size       {_mb(db.get('table_bytes'))} MB (table + indexes + toast)",
        f"  per million results    {_mb(db.get('bytes_per_million'))} MB   (bar: < 150 MB)",
    ]
    if mean_row := db.get("mean_row_data_bytes"):
        lines.append("  mean row data          " + ", ".join(f"{k} {v} B" for k, v in mean_row.items()))  # type: ignore[union-attr]
    for name, size in (db.get("index_bytes") or {}).items():  # type: ignore[union-attr]
        lines.append(f"  index {name:<36} {_mb(size)} MB")
    if report.queries:
        lines += ["", "Queries (median / p95 / max over the calls)"]
        for name, q in report.queries.items():
            lines.append(
                f"  {name:<36} {_fmt(q.get('median_ms'))} / {_fmt(q.get('p95_ms'))} / {_fmt(q.get('max_ms'))} ms"
            )
    if report.notes:
        lines += ["", "Notes"] + [f"  - {note}" for note in report.notes]
    return "\n".join(lines) + "\n"


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _fmt(value: object) -> str:
    return "-" if value is None else str(value)


def _mb(value: object) -> str:
    return "-" if not isinstance(value, int | float) else f"{value / 1_000_000:.1f}"
