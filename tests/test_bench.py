"""The benchmark harness's pure parts (bench/report.py, bench/procfs.py): no processes, no database."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bench import procfs
from bench.report import (
    Report,
    Result,
    Schedule,
    bytes_per_million,
    cpu_per_thousand,
    percentile,
    render_text,
    schedule_figures,
    slots_in_window,
    timing_summary,
)

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
MIN = timedelta(seconds=60)


def test_slots_in_window_counts_half_open_window() -> None:
    assert slots_in_window(first_due=T0, interval=MIN, start=T0, end=T0 + 3 * MIN) == 3  # 0, 60, 120; not 180
    assert slots_in_window(first_due=T0 + timedelta(seconds=59), interval=MIN, start=T0, end=T0 + 3 * MIN) == 3
    assert slots_in_window(first_due=T0 - timedelta(seconds=30), interval=MIN, start=T0, end=T0 + MIN) == 1
    assert slots_in_window(first_due=T0 + 5 * MIN, interval=MIN, start=T0, end=T0 + 3 * MIN) == 0
    assert slots_in_window(first_due=T0, interval=MIN, start=T0, end=T0) == 0


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 0.5) is None
    assert percentile([5.0, 1.0, 3.0], 0.5) == 3.0
    assert percentile(list(range(1, 101)), 0.99) == 99
    assert percentile(list(range(1, 101)), 1.0) == 100


def _schedule() -> Schedule:
    # Two monitors spread over the interval, a 3-minute window: 3 slots each.
    return Schedule(first_due={1: T0, 2: T0 + timedelta(seconds=30)}, interval=MIN, start=T0, end=T0 + 3 * MIN)


def test_schedule_figures_from_fixed_rows() -> None:
    lag = [0.1, 0.2, 0.3, 0.4, 2.5]
    results = [Result(1, T0 + k * MIN, T0 + k * MIN + timedelta(seconds=lag[k])) for k in range(3)]
    second = [T0 + timedelta(seconds=30) + k * MIN for k in (0, 1)]
    results += [Result(2, due, due + timedelta(seconds=lag[3 + k])) for k, due in enumerate(second)]
    results.append(Result(2, T0 + timedelta(seconds=45), T0 + timedelta(seconds=45)))  # drifted slot
    results.append(Result(1, T0 + 3 * MIN, T0 + 3 * MIN))  # after the window: not counted
    results.append(Result(9, T0, T0))  # not a bench monitor
    final = {1: T0 + 3 * MIN, 2: T0 + timedelta(seconds=150)}  # monitor 2's third slot never claimed

    figures = schedule_figures(schedule=_schedule(), results=results, final_next_check_at=final)

    assert figures.scheduled == 6
    assert figures.claimed == 5
    assert figures.executed == 5
    assert figures.missed == 1
    assert figures.off_grid == 1
    assert figures.lag_p50_s == 0.3
    assert figures.lag_p99_s == 2.5
    assert figures.lag_max_s == 2.5
    assert figures.rows_per_s == round(5 / 180, 2)


def test_schedule_figures_count_a_slot_once_and_zero_missed_when_all_ran() -> None:
    schedule = _schedule()
    results = [
        Result(m, due, due) for m, first in schedule.first_due.items() for due in (first + k * MIN for k in range(3))
    ]
    results.append(results[0])  # the same slot twice (cannot happen with the unique slot, but never count it twice)
    final = {1: T0 + 3 * MIN, 2: T0 + timedelta(seconds=210)}

    figures = schedule_figures(schedule=schedule, results=results, final_next_check_at=final)

    assert (figures.scheduled, figures.claimed, figures.executed, figures.missed) == (6, 6, 6, 0)
    assert figures.lag_p99_s == 0.0


def test_rates_and_sizes() -> None:
    assert cpu_per_thousand(cpu_seconds={"worker": 12.0, "beat": 0.5}, checks=6000) == {"worker": 2.0, "beat": 0.083}
    assert cpu_per_thousand(cpu_seconds={"worker": 1.0}, checks=0) == {"worker": None}
    assert bytes_per_million(table_bytes=133_000, rows=1000) == 133_000_000
    assert bytes_per_million(table_bytes=0, rows=0) is None
    summary = timing_summary([float(v) for v in range(1, 21)])
    assert summary == {"calls": 20, "median_ms": 10.5, "p95_ms": 19.0, "max_ms": 20.0}


def test_render_text_names_every_figure() -> None:
    figures = schedule_figures(schedule=_schedule(), results=[], final_next_check_at={})
    report = Report(
        started_at=T0.isoformat(),
        parameters={"monitors": 2, "interval": 60, "duration": 180, "workers": 1},
        schedule=figures,
        cpu_seconds={"worker": 1.5},
        cpu_per_1000_checks={"worker": None},
        database={"rows": 0, "table_bytes": 8192, "bytes_per_million": None},
        queries={"metrics 90d, in-process": timing_summary([1.0, 2.0])},
        notes=["a note"],
    )
    text = render_text(report)
    for needle in (
        "scheduled slots        6",
        "missed                 6",
        "lag p50",
        "per million",
        "metrics 90d",
        "a note",
    ):
        assert needle in text
    assert report.as_json()["schedule"]["missed"] == 6


# /proc/<pid>/stat of a celery child: comm with a space and a parenthesis (split at the last ')').
STAT = (
    "4242 (celery (worker)) S 4200 4200 4200 0 -1 4194560 9000 0 0 0 "
    "250 75 30 20 20 0 3 0 123456 123456789 9000 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0"
)


def test_parse_stat_reads_ticks_past_a_tricky_comm() -> None:
    stat = procfs.parse_stat(STAT)
    assert (stat.pid, stat.comm, stat.ppid) == (4242, "celery (worker)", 4200)
    assert (stat.utime, stat.stime, stat.cutime, stat.cstime, stat.starttime) == (250, 75, 30, 20, 123456)
    assert stat.cpu_ticks() == 375


def _stat(pid: int, ppid: int, ticks: int, starttime: int = 100) -> procfs.ProcStat:
    return procfs.ProcStat(pid=pid, comm="x", ppid=ppid, utime=ticks, stime=0, cutime=0, cstime=0, starttime=starttime)


def test_tree_cpu_sums_a_process_and_its_descendants_only() -> None:
    stats = {s.pid: s for s in (_stat(10, 1, 5), _stat(11, 10, 7), _stat(12, 11, 3), _stat(20, 1, 100))}
    assert procfs.tree_pids(10, stats) == {10, 11, 12}
    assert procfs.tree_cpu_ticks(10, stats) == 15
    assert procfs.tree_cpu_ticks(99, stats) == 0  # gone


def test_backend_meter_counts_new_backends_from_zero_and_old_ones_from_the_window() -> None:
    meter = procfs.BackendMeter(window_start_ticks=1000)
    meter.observe(_stat(50, 1, 400, starttime=10))  # connected before the window: baseline 400
    meter.observe(_stat(50, 1, 460, starttime=10))
    meter.observe(_stat(51, 1, 30, starttime=1500))  # born inside the window: all of it counts
    meter.observe(_stat(51, 1, 45, starttime=1500))
    meter.observe(_stat(50, 1, 5, starttime=1600))  # pid 50 reused by a new backend
    assert meter.ticks() == 60 + 45 + 5


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_read_stat_of_this_process() -> None:
    stat = procfs.read_stat(os.getpid())
    assert stat is not None and stat.pid == os.getpid()
    assert procfs.read_stat(2**22 + 12345) is None
    assert procfs.uptime_ticks() > stat.starttime
