"""CPU time of processes from /proc (psutil is not installed). Pure parsing plus thin readers.

/proc/<pid>/stat fields (man 5 proc), 1-based after the "(comm)" part: 4 ppid, 14 utime, 15 stime,
16 cutime, 17 cstime (children already reaped), 22 starttime; times in clock ticks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class ProcStat:
    pid: int
    comm: str
    ppid: int
    utime: int
    stime: int
    cutime: int
    cstime: int
    starttime: int

    def cpu_ticks(self) -> int:
        """Own CPU plus that of children it has reaped (a child still alive is counted on its own)."""
        return self.utime + self.stime + self.cutime + self.cstime


def parse_stat(text: str) -> ProcStat:
    """Parse one /proc/<pid>/stat line. comm may hold spaces and parentheses: split at the last ')'."""
    open_at = text.index("(")
    close_at = text.rindex(")")
    pid = int(text[:open_at].strip())
    comm = text[open_at + 1 : close_at]
    rest = text[close_at + 2 :].split()
    # rest[0] is field 3 (state); field n is rest[n - 3].
    return ProcStat(
        pid=pid,
        comm=comm,
        ppid=int(rest[1]),
        utime=int(rest[11]),
        stime=int(rest[12]),
        cutime=int(rest[13]),
        cstime=int(rest[14]),
        starttime=int(rest[19]),
    )


def read_stat(pid: int, proc: Path = PROC) -> ProcStat | None:
    """The process's stat, or None when it is gone."""
    try:
        return parse_stat((proc / str(pid) / "stat").read_text())
    except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
        return None


def all_stats(proc: Path = PROC) -> dict[int, ProcStat]:
    stats = {}
    for entry in proc.iterdir():
        if entry.name.isdigit() and (stat := read_stat(int(entry.name), proc)) is not None:
            stats[stat.pid] = stat
    return stats


def tree_pids(root: int, stats: dict[int, ProcStat]) -> set[int]:
    """root and every live descendant (Celery's prefork children, gunicorn's workers)."""
    children: dict[int, list[int]] = {}
    for stat in stats.values():
        children.setdefault(stat.ppid, []).append(stat.pid)
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid in found or pid not in stats:
            continue
        found.add(pid)
        todo.extend(children.get(pid, []))
    return found


def tree_cpu_ticks(root: int, stats: dict[int, ProcStat]) -> int:
    """CPU ticks of a process tree: each live member's own time plus what it reaped."""
    return sum(stats[pid].cpu_ticks() for pid in tree_pids(root, stats))


def ticks_to_seconds(ticks: int) -> float:
    return ticks / CLOCK_TICKS


class BackendMeter:
    """CPU of the PostgreSQL backends serving one database, sampled while they live.

    The harness polls pg_stat_activity for the pids connected to the bench database (each
    second) and feeds them here with a fresh stat. A backend born after the window opened
    counts from zero; one that exits between two polls loses at most one poll of CPU.
    Shared server processes (checkpointer, walwriter, autovacuum) are not attributed.
    """

    def __init__(self, window_start_ticks: int) -> None:
        # starttime is in ticks since boot; window_start_ticks is the same clock.
        self.window_start_ticks = window_start_ticks
        self.first: dict[tuple[int, int], int] = {}
        self.last: dict[tuple[int, int], int] = {}

    def observe(self, stat: ProcStat) -> None:
        key = (stat.pid, stat.starttime)  # a reused pid is a new backend
        if key not in self.first:
            self.first[key] = 0 if stat.starttime >= self.window_start_ticks else stat.cpu_ticks()
        self.last[key] = stat.cpu_ticks()

    def ticks(self) -> int:
        return sum(self.last[key] - self.first[key] for key in self.last)


def uptime_ticks(proc: Path = PROC) -> int:
    """Seconds since boot from /proc/uptime, in clock ticks (the clock of starttime)."""
    return int(float((proc / "uptime").read_text().split()[0]) * CLOCK_TICKS)
