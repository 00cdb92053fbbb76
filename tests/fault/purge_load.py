"""DATA-03 harness (PostgreSQL): seed many old results, purge them in batches while other sessions
insert results, and measure how long those inserts waited (their own latency, and ungranted locks
sampled from pg_locks). Used by tests/test_data_03_batched_purge.py (scaled down) and by
tests/fault/data_03_purge_5m.py (the full 5 M rows, prints what it found)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from accounts.models import Organization
from checks.models import CheckResult, RollupProgress
from checks.partitions import partition_create_day, partition_list, partitioning_enabled
from checks.retention import retention_purge
from monitors.models import Monitor
from tests.fault.insert_load import InsertProcesses

SAMPLE_EVERY_S = 0.05


@dataclass
class World:
    organization: Organization
    monitors: list[Monitor]
    live: Monitor  # the monitor the inserting sessions write for
    old_rows: int  # rows past retention (minus each monitor's latest, which stays)
    recent_rows: int


def seed(*, rows: int, monitors: int = 50, retention_days: int = 30, now: datetime | None = None) -> World:
    """`rows` results over `monitors` monitors: two thirds between retention + 1 and retention + 21
    days old, one third in the last 20 days. One INSERT ... SELECT generate_series per monitor and
    age band; day partitions are created for every seeded day first (as beat would have)."""
    now = now or timezone.now()
    org = Organization.objects.create(name="purge-load", result_retention_days=retention_days)
    # Another organisation keeps 90 days: no partition may be dropped, so the purge deletes rows.
    Organization.objects.create(name="keeps-90-days", result_retention_days=90)
    ms = [
        Monitor.objects.create(organization=org, name=f"load {i}", url=f"http://127.0.0.1:9/{i}")
        for i in range(monitors)
    ]
    live = Monitor.objects.create(organization=org, name="live", url="http://127.0.0.1:9/live")
    if partitioning_enabled():
        existing = {p.day for p in partition_list()}
        for days_ago in range(0, retention_days + 23):
            day = (now - timedelta(days=days_ago)).date()
            if day not in existing:
                partition_create_day(day=day)
    old_per_monitor = (rows * 2 // 3) // monitors
    recent_per_monitor = (rows - old_per_monitor * monitors) // monitors
    bands = [
        (now - timedelta(days=retention_days + 21), timedelta(days=20), old_per_monitor),
        (now - timedelta(days=20), timedelta(days=20) - timedelta(minutes=5), recent_per_monitor),
    ]
    with connection.cursor() as cursor:
        for m in ms:
            for start, span, count in bands:
                step = span / max(count, 1)
                cursor.execute(
                    """
                    INSERT INTO checks_checkresult (monitor_id, region, due_at, started_at, ok, status_code,
                        latency_ms, error_kind, error, body_truncated, degraded, details, shape_hash)
                    SELECT %s, 'local', ts, ts + interval '1 second', true, 200, 40, '', '', false, false, '{}', ''
                    FROM generate_series(0, %s - 1) AS n, LATERAL (SELECT %s + n * %s AS ts) AS t
                    """,
                    [m.id, count, start, step],
                )
        cursor.execute("ANALYZE checks_checkresult")
    RollupProgress.objects.update_or_create(period="hour", defaults={"built_until": now - timedelta(minutes=30)})
    return World(
        organization=org,
        monitors=ms,
        live=live,
        old_rows=(old_per_monitor - 1) * monitors if recent_per_monitor == 0 else old_per_monitor * monitors,
        recent_rows=recent_per_monitor * monitors,
    )


class Inserter(threading.Thread):
    """One session inserting a result for `monitor` every `every_s`, timing each insert (own connection)."""

    def __init__(self, *, monitor: Monitor, every_s: float, offset_s: int) -> None:
        super().__init__(daemon=True)
        self.monitor, self.every_s, self.offset_s = monitor, every_s, offset_s
        self.latencies_s: list[float] = []
        self.errors: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        base = timezone.now()  # to the microsecond: two runs' slots never collide
        n = 0
        try:
            while not self.stop.is_set() and n < 100_000:
                due = base + timedelta(seconds=self.offset_s + n * 7)
                started = time.monotonic()
                try:
                    CheckResult.objects.create(monitor=self.monitor, due_at=due, started_at=due, ok=True, latency_ms=5)
                except Exception as exc:  # noqa: BLE001 - reported, the test fails on any
                    self.errors.append(repr(exc))
                self.latencies_s.append(time.monotonic() - started)
                n += 1
                self.stop.wait(self.every_s)
        finally:
            connection.close()


class LockSampler(threading.Thread):
    """Samples pg_locks: the longest any ungranted lock of this database has been waited for."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples = 0
        self.max_wait_s = 0.0
        self.waiting_samples = 0
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            with connection.cursor() as cursor:
                while not self.stop.is_set() and self.samples < 200_000:
                    cursor.execute(
                        """
                        SELECT count(*), coalesce(max(extract(epoch FROM clock_timestamp() - a.state_change)), 0)
                        FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                        WHERE NOT l.granted AND a.datname = current_database()
                        """
                    )
                    waiting, longest = cursor.fetchone()
                    self.samples += 1
                    self.waiting_samples += 1 if waiting else 0
                    self.max_wait_s = max(self.max_wait_s, float(longest))
                    self.stop.wait(SAMPLE_EVERY_S)
        finally:
            connection.close()


def database_url() -> str:
    """The URL of the database Django is connected to (the test database inside pytest)."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class LoadReport:
    deleted: int
    purge_s: float
    inserts: InsertProcesses
    lock_samples: int
    lock_waiting_samples: int
    lock_max_wait_s: float
    batches: int = 0

    @property
    def insert_max_s(self) -> float:
        return self.inserts.latencies_s[-1] if self.inserts.latencies_s else 0.0

    def lines(self) -> list[str]:
        return [
            f"purge: deleted {self.deleted} rows in {self.purge_s:.1f} s ({self.batches} batches)",
            f"inserts meanwhile (separate processes): {self.inserts.summary()}",
            f"pg_locks: {self.lock_samples} samples, {self.lock_waiting_samples} with an ungranted lock, "
            f"longest wait {self.lock_max_wait_s * 1000:.1f} ms",
        ]


def purge_under_load(
    *, world: World, writers: int = 3, every_s: float = 0.02, batch_size: int = 5000, now: datetime | None = None
) -> LoadReport:
    """retention_purge(force=True) in this thread while `writers` processes insert results."""
    inserts = InsertProcesses(url=database_url(), monitor_id=world.live.id, count=writers, every_s=every_s).start()
    sampler = LockSampler()
    sampler.start()
    time.sleep(1.0)  # writers connected before the purge starts
    started = time.monotonic()
    report = retention_purge(now=now or timezone.now(), force=True, batch_size=batch_size)
    purge_s = time.monotonic() - started
    time.sleep(0.3)
    inserts.finish()
    sampler.stop.set()
    sampler.join(timeout=30)
    deleted = report.tables["checks_checkresult"].deleted
    return LoadReport(
        deleted=deleted,
        purge_s=purge_s,
        inserts=inserts,
        lock_samples=sampler.samples,
        lock_waiting_samples=sampler.waiting_samples,
        lock_max_wait_s=sampler.max_wait_s,
        batches=-(-deleted // batch_size),
    )
