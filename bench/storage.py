"""Database size per million check results, and the speed of the raw-result queries (issue 5 bar: < 150 MB).

    .venv/bin/python -m bench.storage [--rows 1000000] [--monitors 1000] [--migrate-to 0009]

In its own database (DATABASE_URL's name, default driftwatch_g_size; dropped and created): migrate
(checks up to --migrate-to if given, to measure an older index set), create day partitions for 61
days (53 back, 7 ahead) as a month of retention would keep, insert `rows` results of `monitors` HTTP
monitors at a 300 s interval (each at its own phase) in time order, interleaved across monitors as
real traffic is (mostly ok, status 200, a latency, details {}), all in closed days (they end at
today 00:00 UTC), run the daily maintenance's compaction (checks.partitions.partitions_compact),
VACUUM ANALYZE, then measure heap and every index (summed over pg_partition_tree) and time a lookup
by id and three queries of the product's selectors: one monitor's metrics raw tail, its results
list's first page, and the dashboard's uptime tail over 500 monitors (wall time, and EXPLAIN ANALYZE of the
checks_checkresult statement). Prints a report and writes bench/results/storage[-<suffix>].json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/driftwatch_g_size"
RESULTS = Path(__file__).resolve().parent / "results"
INTERVAL_SECONDS = 300
MB = 1024 * 1024
CALLS = 15


def reset_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "size" not in name or not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'size'")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def seed(*, rows: int, monitors: int, end: datetime) -> tuple[list[int], float]:
    """Monitors and `rows` results before `end`, inserted an hour at a time in due_at order; returns (ids, seconds)."""
    from django.db import connection  # noqa: PLC0415

    from accounts.models import Organization  # noqa: PLC0415
    from monitors.models import Monitor  # noqa: PLC0415

    org = Organization.objects.create(name="Storage bench", result_retention_days=30)
    far = end + timedelta(days=3650)
    ids = [
        Monitor.objects.create(
            organization=org,
            name=f"size {i:05d}",
            url="http://127.0.0.1:9/",
            interval_seconds=INTERVAL_SECONDS,
            next_check_at=far,
        ).id
        for i in range(monitors)
    ]
    per_monitor = rows // monitors
    start = end - timedelta(seconds=per_monitor * INTERVAL_SECONDS)
    sql = """
        INSERT INTO checks_checkresult
            (monitor_id, region, due_at, started_at, ok, status_code, latency_ms, error_kind, error,
             response_bytes, body_truncated, degraded, details, shape_hash)
        SELECT s.id, 'local', s.due, s.due + make_interval(secs => 0.02 + random() * 0.5),
               random() > 0.002, 200, (4 + 40 * random() ^ 4)::int, '', '', 57, false, false, '{}'::jsonb, ''
        FROM (
            SELECT m.id, %(start)s::timestamptz + make_interval(secs => k * %(interval)s + m.phase) AS due
            FROM (SELECT id, (id * 7919) %% %(interval)s AS phase FROM unnest(%(ids)s::bigint[]) AS id) m
            CROSS JOIN generate_series(0, %(count)s - 1) AS k
        ) s
        WHERE s.due >= %(lo)s AND s.due < %(hi)s
        ORDER BY s.due, s.id
    """
    began = time.monotonic()
    with connection.cursor() as cursor:
        hour = start.replace(minute=0, second=0, microsecond=0)
        while hour < end + timedelta(hours=1):
            cursor.execute(
                sql,
                {
                    "start": start,
                    "interval": INTERVAL_SECONDS,
                    "ids": ids,
                    "count": per_monitor,
                    "lo": hour,
                    "hi": hour + timedelta(hours=1),
                },
            )
            hour += timedelta(hours=1)
    return ids, time.monotonic() - began


def sizes() -> dict:
    from django.db import connection  # noqa: PLC0415

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM checks_checkresult")
        count = cursor.fetchone()[0]
        cursor.execute(
            "SELECT coalesce(sum(pg_table_size(relid)), 0), coalesce(sum(pg_total_relation_size(relid)), 0), "
            "count(*) FROM pg_partition_tree('checks_checkresult') WHERE isleaf"
        )
        heap, total, leaves = cursor.fetchone()
        cursor.execute(
            "SELECT c.relname, am.amname, (SELECT coalesce(sum(pg_relation_size(t.relid)), 0) "
            "FROM pg_partition_tree(c.oid) t) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_am am ON am.oid = c.relam WHERE i.indrelid = 'checks_checkresult'::regclass ORDER BY 1"
        )
        indexes = {name: {"method": method, "bytes": int(size)} for name, method, size in cursor.fetchall()}
        cursor.execute(
            "SELECT conname, contype FROM pg_constraint WHERE conrelid = 'checks_checkresult'::regclass "
            "AND contype IN ('p', 'u') ORDER BY 1"
        )
        constraints = dict(cursor.fetchall())
    per_million = 1_000_000 / count / MB if count else 0.0
    return {
        "rows": count,
        "leaf_partitions": leaves,
        "constraints": constraints,
        "heap_bytes": int(heap),
        "indexes": indexes,
        "total_bytes": int(total),
        "mb_per_million": {
            "heap": round(int(heap) * per_million, 1),
            **{name: round(item["bytes"] * per_million, 1) for name, item in indexes.items()},
            "total": round(int(total) * per_million, 1),
        },
    }


def _explain(sql: str, params: tuple) -> dict:
    from django.db import connection  # noqa: PLC0415

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
    text = json.dumps(plan)
    return {
        "planning_ms": round(plan["Planning Time"], 3),
        "execution_ms": round(plan["Execution Time"], 3),
        "partitions_read": sorted({p for p in _relations(plan["Plan"]) if p.startswith("checks_checkresult")}),
        "indexes": sorted({n for n in _indexes(plan["Plan"])}),
        "seq_scan": '"Seq Scan"' in text,
    }


def _relations(node: dict) -> list[str]:
    found = [node["Relation Name"]] if "Relation Name" in node else []
    for child in node.get("Plans", []):
        found += _relations(child)
    return found


def _indexes(node: dict) -> list[str]:
    found = [node["Index Name"]] if "Index Name" in node else []
    for child in node.get("Plans", []):
        found += _indexes(child)
    return found


def timed(name: str, call) -> dict:  # noqa: ANN001 - a zero-argument callable
    """Median/p95 wall ms of `call` over CALLS runs, and EXPLAIN ANALYZE of its checks_checkresult statement."""
    from django.db import connection  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    with CaptureQueriesContext(connection) as captured:
        call()
    samples = []
    for _ in range(CALLS):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    statements = [q["sql"] for q in captured.captured_queries if "checks_checkresult" in q["sql"]]
    # The captured SQL has its parameters inlined (client-side binding): EXPLAIN it as it ran.
    explained = [_explain(sql, ()) for sql in statements]
    return {
        "query": name,
        "wall_ms_p50": round(statistics.median(samples), 2),
        "wall_ms_p95": round(samples[int(0.95 * (len(samples) - 1))], 2),
        "explain": explained,
    }


def queries(*, monitor_ids: list[int], now: datetime) -> list[dict]:
    from checks.models import CheckResult  # noqa: PLC0415
    from checks.selectors import metrics_for_monitor, result_list_for_monitor, uptime_by_monitor  # noqa: PLC0415
    from monitors.models import Monitor  # noqa: PLC0415

    one = Monitor.objects.get(id=monitor_ids[len(monitor_ids) // 2])
    dashboard = list(Monitor.objects.filter(id__in=monitor_ids[:500]))
    some_id = CheckResult.objects.filter(monitor=one).order_by("id").values_list("id", flat=True)[500]
    return [
        timed("one result by id (StatusChange.result, the admin)", lambda: CheckResult.objects.get(id=some_id)),
        timed(
            "metrics 24h of one monitor (raw tail)", lambda: metrics_for_monitor(monitor=one, range_name="24h", now=now)
        ),
        timed("results list, first page of 50", lambda: list(result_list_for_monitor(monitor=one)[:50])),
        timed(
            "dashboard uptime 24h of 500 monitors (raw tail)",
            lambda: uptime_by_monitor(monitors=dashboard, since=now - timedelta(hours=24), now=now),
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--monitors", type=int, default=1000)
    parser.add_argument(
        "--migrate-to", default="", help="checks migration to stop at (e.g. 0009: the index set before)"
    )
    parser.add_argument("--suffix", default="", help="written to bench/results/storage-<suffix>.json")
    args = parser.parse_args(argv)

    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["LOG_LEVEL"] = "WARNING"
    reset_database(os.environ["DATABASE_URL"])
    import django  # noqa: PLC0415

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415

    from checks.partitions import partition_create_day, partition_list, partitions_compact  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    if args.migrate_to:
        call_command("migrate", "checks", args.migrate_to, verbosity=0)
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)  # today 00:00: closed days only
    existing = {p.day for p in partition_list()}
    for offset in range(-53, 8):
        day = end.date() + timedelta(days=offset)
        if day not in existing:
            partition_create_day(day=day)
    monitor_ids, seed_seconds = seed(rows=args.rows, monitors=args.monitors, end=end)
    began = time.monotonic()
    compacted = partitions_compact(now=end + timedelta(hours=12), days_back=60)
    compact_seconds = time.monotonic() - began
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE checks_checkresult")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM django_migrations WHERE app = 'checks' ORDER BY id DESC LIMIT 1")
        schema = cursor.fetchone()[0]
    report = {
        "checks_migration": schema,
        "monitors": args.monitors,
        "interval_seconds": INTERVAL_SECONDS,
        "seed_seconds": round(seed_seconds, 1),
        "compacted_partitions": len(compacted),
        "compact_seconds": round(compact_seconds, 1),
        **sizes(),
        "queries": queries(monitor_ids=monitor_ids, now=end),
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / (f"storage-{args.suffix}.json" if args.suffix else "storage.json")
    out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    mb = report["mb_per_million"]
    say = sys.stdout.write
    say(f"checks at {schema}: {report['rows']:,} results in {report['leaf_partitions']} partitions\n")
    say(f"constraints: {report['constraints']}\n")
    for name, value in mb.items():
        say(f"  {name:36s} {value:8.1f} MB per million results\n")
    for query in report["queries"]:
        plans = "; ".join(
            f"exec {e['execution_ms']} ms plan {e['planning_ms']} ms, {len(e['partitions_read'])} partitions, "
            f"{len(e['indexes'])} index scans{', a seq scan' if e['seq_scan'] else ''}"
            for e in query["explain"]
        )
        say(f"  {query['query']}: p50 {query['wall_ms_p50']} ms, p95 {query['wall_ms_p95']} ms [{plans}]\n")
    say(f"written: {out}\n")
    return 0 if mb["total"] < 150 else 1


if __name__ == "__main__":
    sys.exit(main())
