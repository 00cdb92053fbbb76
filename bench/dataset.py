"""The bench's data, made through the product's own services (call after django.setup()).

- One organisation "Bench" with N HTTP monitors made by monitors.services.monitor_create (audit
  row and all), parked far in the future until the processes are up, then given first due times
  spread evenly over one interval (slot i of N at t0 + i/N * interval), as a product spreading
  first runs would: no thundering herd, and a known grid to count slots against.
- One organisation "Bench dashboard" with the dashboard's monitors (default 500), parked so they
  are never checked, with synthetic history: 24 h at one result a minute each, and 90 days for the
  first one (the metrics query). History is one server-side INSERT ... SELECT generate_series, not
  the service: it only gives the read queries realistic rows to read.
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
    parked = timezone.now() + PARKED
    ids = []
    for index in range(count):
        monitor = monitor_create(
            organization=organization,
            now=parked,
            name=f"{prefix} {index:05d}",
            kind=Monitor.Kind.HTTP,
            url=url,
            interval_seconds=interval,
            timeout_seconds=10,
        )
        ids.append(monitor.id)
    return ids


def spread_first_runs(*, monitor_ids: list[int], start: datetime, interval: int) -> dict[int, datetime]:
    """Give monitor i of N its first slot at start + i/N * interval; returns {monitor id: first due}."""
    count = len(monitor_ids)
    first_due = {
        monitor_id: start + timedelta(seconds=interval * index / count) for index, monitor_id in enumerate(monitor_ids)
    }
    monitors = [Monitor(id=monitor_id, next_check_at=due) for monitor_id, due in first_due.items()]
    Monitor.objects.bulk_update(monitors, ["next_check_at"], batch_size=1000)
    return first_due


def seed_history(*, monitor_ids: list[int], long_monitor_id: int, step_seconds: int = 60) -> int:
    """Synthetic results: 24 h for each monitor, 90 days for long_monitor_id. Returns rows inserted."""
    now = timezone.now().replace(microsecond=0) - timedelta(hours=2)  # clear of the run's own slots
    sql = """
        INSERT INTO checks_checkresult
            (monitor_id, region, due_at, started_at, ok, status_code, latency_ms, error_kind, error,
             response_bytes, body_truncated, degraded, details)
        SELECT m.id, 'local', t, t + interval '3 ms', random() > 0.002, 200,
               (4 + 40 * random() ^ 4)::int, '', '', 57, false, false, '{}'::jsonb
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


def database_size() -> dict[str, object]:
    """Size of checks_checkresult with its indexes and TOAST (summed over partitions, if it has any)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(pg_total_relation_size(relid)), 0) FROM pg_partition_tree('checks_checkresult')"
        )
        table_bytes = int(cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM checks_checkresult")
        rows = int(cursor.fetchone()[0])
        cursor.execute("SELECT pg_database_size(current_database())")
        database_bytes = int(cursor.fetchone()[0])
    return {"rows": rows, "table_bytes": table_bytes, "database_bytes": database_bytes}
