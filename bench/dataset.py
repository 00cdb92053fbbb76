"""The bench's data, made through the product's own services (call after django.setup()).

- One organisation "Bench" with N HTTP monitors made by monitors.services.monitor_create (audit
  row and all) while the worker and beat already run, so first runs are spread exactly as the
  product spreads them. The harness then waits a warm-up (one interval and a little) so every
  monitor is on its steady grid of slots, and takes each monitor's next_check_at at the window's
  start as that grid's anchor: slots are counted against the product's own phases.
- One organisation "Bench dashboard" with the dashboard's monitors (default 500), parked (next
  check ten years away) so they are never checked, with synthetic history: 24 h at one result a
  minute each, and 90 days for the first one (the metrics query). History is one server-side
  INSERT ... SELECT generate_series, not the service: it only gives the read queries realistic
  rows to read.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.services import user_create
from monitors.models import Monitor
from monitors.services import monitor_create

PARKED = timedelta(days=3650)  # far enough that no dispatcher claims it during a run
BENCH_EMAIL = "bench@bench.invalid"
DASHBOARD_EMAIL = "bench-dashboard@bench.invalid"


def make_organization(*, email: str, name: str):  # noqa: ANN201 - accounts.models.Organization
    from allauth.account.models import EmailAddress  # noqa: PLC0415

    user = user_create(email=email, password=None, organization_name=name)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user, user.memberships.select_related("organization").first().organization


def create_monitors(*, organization, count: int, url: str, interval: int, prefix: str) -> list[int]:  # noqa: ANN001
    return [
        monitor_create(
            organization=organization,
            name=f"{prefix} {index:05d}",
            kind=Monitor.Kind.HTTP,
            url=url,
            interval_seconds=interval,
            timeout_seconds=10,
        ).id
        for index in range(count)
    ]


def park(*, monitor_ids: list[int]) -> None:
    """Move the monitors' next check ten years away: shown on the dashboard, never checked during a run."""
    Monitor.objects.filter(id__in=monitor_ids).update(next_check_at=timezone.now() + PARKED)


def next_checks(*, monitor_ids: list[int]) -> dict[int, datetime]:
    return dict(Monitor.objects.filter(id__in=monitor_ids).values_list("id", "next_check_at"))


def seed_history(*, monitor_ids: list[int], long_monitor_id: int, step_seconds: int = 60) -> int:
    """Synthetic results: 24 h for each monitor, 90 days for long_monitor_id. Returns rows inserted."""
    now = timezone.now().replace(microsecond=0) - timedelta(minutes=1)  # up to now: the current hour stays raw
    sql = """
        INSERT INTO checks_checkresult
            (monitor_id, region, due_at, started_at, ok, status_code, latency_ms, error_kind, error,
             response_bytes, body_truncated, degraded, details, shape_hash)
        SELECT m.id, 'local', t, t + interval '3 ms', random() > 0.002, 200,
               (4 + 40 * random() ^ 4)::int, '', '', 57, false, false, '{}'::jsonb, ''
        FROM unnest(%s::bigint[]) AS m(id)
        CROSS JOIN generate_series(%s::timestamptz, %s::timestamptz, make_interval(secs => %s)) AS t
    """
    rows = 0
    with connection.cursor() as cursor:
        others = [monitor_id for monitor_id in monitor_ids if monitor_id != long_monitor_id]
        cursor.execute(sql, [others, now - timedelta(hours=24), now, step_seconds])
        rows += cursor.rowcount
        cursor.execute(sql, [[long_monitor_id], now - timedelta(days=90), now, step_seconds])
        rows += cursor.rowcount
        cursor.execute("ANALYZE checks_checkresult")
    return rows


def build_rollups(*, days: int = 91) -> str:
    """Roll the seeded history up with the product's own builder, as its beat task would have.

    The progress mark is left at the current hour, so the beat task in the run only does its
    steady-state work (the hour just closed), not a catch-up of the seeded days.
    """
    try:
        from checks.models import RollupProgress  # noqa: PLC0415
        from checks.rollups import floor_to, rollups_build  # noqa: PLC0415
    except ImportError:
        return "the product has no checks.rollups: queries read raw results"
    now = timezone.now()
    built = rollups_build(since=now - timedelta(days=days), until=now, now=now)
    current = floor_to(now, timedelta(hours=1))
    RollupProgress.objects.update_or_create(period="hour", defaults={"built_until": current})
    return f"rollups built from the seeded history: {built.hourly_rows} hourly, {built.daily_rows} daily rows"


def time_calls(client: Client, path: str, *, calls: int) -> list[float]:
    """Milliseconds per GET of `path` (one warm-up call first, not counted); every answer must be 200."""
    samples = []
    for index in range(calls + 1):
        began = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - began) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}")
        if index:
            samples.append(elapsed)
    return samples


def logged_in_client(user) -> Client:  # noqa: ANN001
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client


def database_size(*, bench_monitor_ids: list[int]) -> dict[str, object]:
    """Size of checks_checkresult with its indexes and TOAST (summed over partitions, if it has any),
    each index's size, and the mean stored row (heap tuple data) of the run's own results and of the
    synthetic history, so a difference between the two shows."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(pg_total_relation_size(relid)), 0) FROM pg_partition_tree('checks_checkresult')"
        )
        table_bytes = int(cursor.fetchone()[0])
        if not table_bytes:  # a plain table: pg_partition_tree lists nothing
            cursor.execute("SELECT pg_total_relation_size('checks_checkresult')")
            table_bytes = int(cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM checks_checkresult")
        rows = int(cursor.fetchone()[0])
        cursor.execute("SELECT pg_database_size(current_database())")
        database_bytes = int(cursor.fetchone()[0])
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index"
            " WHERE indrelid = 'checks_checkresult'::regclass ORDER BY 1"
        )
        indexes = {name: int(size) for name, size in cursor.fetchall()}
        cursor.execute(
            "SELECT monitor_id = ANY(%s), round(avg(pg_column_size(r.*))) FROM checks_checkresult r GROUP BY 1",
            [bench_monitor_ids],
        )
        mean_row = {("bench" if mine else "history"): int(size) for mine, size in cursor.fetchall()}
    return {
        "rows": rows,
        "table_bytes": table_bytes,
        "database_bytes": database_bytes,
        "index_bytes": indexes,
        "mean_row_data_bytes": mean_row,
    }
