"""Sessions inserting check results, each in a process of its own (no Django, no shared GIL with the
code under test), timing every INSERT from the client. Used by the DATA-03 harness."""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

MAX_INSERTS = 500_000


def _insert_loop(url: str, monitor_id: int, every_s: float, region: str, stop: Any, out: Any) -> None:
    import psycopg  # noqa: PLC0415 - in the child only

    latencies: list[float] = []
    errors: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        while not stop.is_set() and len(latencies) < MAX_INSERTS:
            started = time.monotonic()
            try:
                # clock_timestamp() to the microsecond: every insert is a slot of its own.
                conn.execute(
                    """INSERT INTO checks_checkresult (monitor_id, region, due_at, started_at, ok, latency_ms,
                           error_kind, error, body_truncated, degraded, details, shape_hash)
                       VALUES (%s, %s, clock_timestamp(), clock_timestamp(), true, 5,
                           '', '', false, false, '{}', '')""",
                    [monitor_id, region],
                )
            except psycopg.Error as exc:
                errors.append(repr(exc))
            latencies.append(time.monotonic() - started)
            stop.wait(every_s)
    out.put((latencies, errors))


class InsertProcesses:
    """`count` processes, each inserting a result for `monitor_id` every `every_s` seconds."""

    def __init__(self, *, url: str, monitor_id: int, count: int = 3, every_s: float = 0.02) -> None:
        context = multiprocessing.get_context("spawn")  # no inherited database sockets
        self.stop = context.Event()
        self.out = context.Queue()
        self.processes = [
            context.Process(
                target=_insert_loop, args=(url, monitor_id, every_s, f"load{i}", self.stop, self.out), daemon=True
            )
            for i in range(count)
        ]
        self.latencies_s: list[float] = []
        self.errors: list[str] = []

    def start(self) -> InsertProcesses:
        for process in self.processes:
            process.start()
        return self

    def finish(self) -> InsertProcesses:
        self.stop.set()
        for _ in self.processes:
            latencies, errors = self.out.get(timeout=60)
            self.latencies_s += latencies
            self.errors += errors
        for process in self.processes:
            process.join(timeout=30)
        self.latencies_s.sort()
        return self

    def summary(self) -> str:
        lat = self.latencies_s
        if not lat:
            return "no inserts"
        over = sum(1 for x in lat if x >= 1.0)
        p50, p99 = lat[len(lat) // 2], lat[int(len(lat) * 0.99)]
        return (
            f"{len(lat)} inserts, p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
            f"max {lat[-1] * 1000:.1f} ms, {over} at 1 s or more, errors {len(self.errors)}"
        )
