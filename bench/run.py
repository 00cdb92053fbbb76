"""Benchmark: N HTTP monitors on PostgreSQL + Redis, the real worker/beat/web processes, one report.

    make bench                                   # N=1000, 60 s interval, 600 s
    .venv/bin/python -m bench.run --monitors 200 --interval 30 --duration 150

Drops and recreates the bench database (its name must contain "bench") and flushes the bench
Redis db, so every run starts empty. See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import signal
import sys
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

import psycopg

from bench import processes, procfs
from bench.report import Report, Result, Schedule, bytes_per_million, cpu_per_thousand, render_text, schedule_figures
from bench.report import timing_summary as summarize

logger = logging.getLogger("bench")
RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/driftwatch_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/7"
BEAT_GRACE = timedelta(seconds=3)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--monitors", type=int, default=1000, help="HTTP monitors checked (default 1000)")
    parser.add_argument("--interval", type=int, default=60, help="their interval in seconds (default 60)")
    parser.add_argument("--duration", type=int, default=600, help="measured window in seconds (default 600)")
    parser.add_argument("--workers", type=int, default=1, help="Celery worker processes (default 1)")
    parser.add_argument("--concurrency", type=int, default=None, help="per worker (default: the product's)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers (0: no web process)")
    parser.add_argument("--dashboard-monitors", type=int, default=500, help="monitors on the timed dashboard")
    parser.add_argument("--query-calls", type=int, default=20, help="timed calls per query (default 20)")
    parser.add_argument("--no-history", action="store_true", help="skip the synthetic 24 h / 90 d history")
    parser.add_argument("--warmup", type=int, default=None, help="seconds before the window (default interval + 5)")
    parser.add_argument("--drain", type=int, default=30, help="max seconds for queued checks after the window")
    parser.add_argument("--log-level", default="INFO", help="the product's LOG_LEVEL (default INFO, as shipped)")
    return parser.parse_args(argv)


def bench_env(args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    env.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        ALLOW_PRIVATE_TARGETS="true",
        DEBUG="false",
        LOG_LEVEL=args.log_level,
        ALLOWED_HOSTS="127.0.0.1,localhost",
    )
    return env


def reset_stores(env: dict[str, str]) -> None:
    """Drop and recreate the bench database; flush the bench Redis db."""
    url = urlsplit(env["DATABASE_URL"])
    name = url.path.lstrip("/")
    if "bench" not in name or not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing to drop database {name!r}: the bench database's name must contain 'bench'")
    admin_url = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    import redis  # noqa: PLC0415

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()


class PgBackends:
    """Polls pg_stat_activity for the bench database's backends and meters their CPU from /proc."""

    def __init__(self, database_url: str, meter: procfs.BackendMeter) -> None:
        self.conn = psycopg.connect(database_url, autocommit=True)
        self.own_pid = self.conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        self.meter = meter

    def poll(self) -> None:
        rows = self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> %s", [self.own_pid]
        ).fetchall()
        for (pid,) in rows:
            if (stat := procfs.read_stat(pid)) is not None:
                self.meter.observe(stat)

    def count(self, sql: str, params: list[object]) -> int:
        return int(self.conn.execute(sql, params).fetchone()[0])

    def close(self) -> None:
        self.conn.close()


def http_time_calls(port: int, path: str, cookie: str, *, calls: int) -> list[float]:
    samples = []
    for index in range(calls + 1):
        began = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
        response = conn.getresponse()
        response.read()
        conn.close()
        if response.status != 200:
            raise RuntimeError(f"GET {path} via gunicorn answered {response.status}")
        if index:
            samples.append((time.perf_counter() - began) * 1000)
    return samples


def _stop_on_signal(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 - one linear script
    args = parse_args(argv)
    # Its own handler: Django's LOGGING (JSON on stdout, root at WARNING here) must not swallow these lines.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s bench: %(message)s", datefmt="%H:%M:%S"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    signal.signal(signal.SIGTERM, _stop_on_signal)
    env = bench_env(args)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(exist_ok=True)
    log_dir = RESULTS / f"{stamp}-logs"
    log_dir.mkdir()

    logger.info("resetting %s and %s", urlsplit(env["DATABASE_URL"]).path, env["REDIS_URL"])
    reset_stores(env)
    os.environ.update(env)
    os.environ["LOG_LEVEL"] = "WARNING"  # the harness's own Django: the processes keep --log-level
    import subprocess  # noqa: PLC0415, S404

    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=processes.ROOT, check=True)  # noqa: S603
    import django  # noqa: PLC0415

    django.setup()
    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic for a bench
    from bench import dataset  # noqa: PLC0415 - needs Django set up

    procs: list[processes.Proc] = []
    notes: list[str] = []
    try:
        target_port = processes.free_port()
        target = processes.start("target", processes.target_argv(target_port), env=env, log_dir=log_dir)
        procs.append(target)
        processes.wait_for_port(target, target_port, timeout=15)
        target_url = f"http://127.0.0.1:{target_port}/health.json"

        dash_user, dash_org = dataset.make_organization(email=dataset.DASHBOARD_EMAIL, name="Bench dashboard")
        dash_ids = dataset.create_monitors(
            organization=dash_org, count=args.dashboard_monitors, url=target_url, interval=60, prefix="dash"
        )
        dataset.park(monitor_ids=dash_ids)
        if not args.no_history and dash_ids:
            began = time.monotonic()
            try:
                rows = dataset.seed_history(monitor_ids=dash_ids, long_monitor_id=dash_ids[0])
                logger.info("seeded %s history rows in %.1f s", rows, time.monotonic() - began)
                began = time.monotonic()
                notes.append(dataset.build_rollups())
                logger.info("%s in %.1f s", notes[-1], time.monotonic() - began)
            except Exception as exc:  # noqa: BLE001 - a schema the seed does not fit: report, go on
                notes.append(f"history not seeded ({type(exc).__name__}: {exc}); query timings read an empty history")
        _, bench_org = dataset.make_organization(email=dataset.BENCH_EMAIL, name="Bench")
        django.db.connections.close_all()

        workers = [
            processes.start(f"worker{i}", processes.worker_argv(i, args.concurrency), env=env, log_dir=log_dir)
            for i in range(args.workers)
        ]
        procs += workers
        beat = processes.start("beat", processes.beat_argv(log_dir / "beat.pid"), env=env, log_dir=log_dir)
        procs.append(beat)
        web, web_port = None, processes.free_port()
        if args.web_workers:
            web = processes.start("web", processes.web_argv(web_port, args.web_workers), env=env, log_dir=log_dir)
            procs.append(web)
            processes.wait_for_port(web, web_port, timeout=60)
        for worker in workers:
            processes.wait_for_log(worker, "ready", timeout=90)

        # Created while worker and beat run: first checks start as the product spreads them.
        began = time.monotonic()
        monitor_ids = dataset.create_monitors(
            organization=bench_org, count=args.monitors, url=target_url, interval=args.interval, prefix="bench"
        )
        logger.info("created %s monitors with monitor_create in %.1f s", len(monitor_ids), time.monotonic() - began)
        warmup = args.warmup if args.warmup is not None else args.interval + 5
        logger.info("warm-up %s s: every monitor reaches its steady grid", warmup)
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=warmup)
        end = start + timedelta(seconds=args.duration)
        django.db.connections.close_all()
        time.sleep(max(0.0, (start - datetime.now(UTC)).total_seconds()))
        # Each monitor's grid, as the product set it, anchored one interval before its next slot: the
        # dispatcher claims slots up to CHECKS_DISPATCH_LOOKAHEAD_MS ahead, so at the window's start
        # next_check_at may already be the slot after one due in the window's first second.
        grid_step = timedelta(seconds=args.interval)
        first_due = {m: at - grid_step for m, at in dataset.next_checks(monitor_ids=monitor_ids).items()}
        django.db.connections.close_all()

        stats = procfs.all_stats()
        cpu0 = {p.name: procfs.tree_cpu_ticks(p.pid, stats) for p in procs}
        pg = PgBackends(env["DATABASE_URL"], procfs.BackendMeter(procfs.uptime_ticks()))
        logger.info("window %s .. %s (%s s)", start.isoformat(), end.isoformat(), args.duration)
        count_sql = "SELECT count(*) FROM checks_checkresult WHERE monitor_id = ANY(%s) AND started_at >= %s"
        last_progress = time.monotonic()
        # Beat runs BEAT_GRACE past the window so the slots due in its last second are claimed too.
        while datetime.now(UTC) < end + BEAT_GRACE:
            pg.poll()
            if time.monotonic() - last_progress >= 30:
                last_progress = time.monotonic()
                logger.info("%s results so far", pg.count(count_sql, [monitor_ids, start]))
            time.sleep(1)
        stats = procfs.all_stats()
        cpu1 = {"beat": procfs.tree_cpu_ticks(beat.pid, stats)}
        processes.stop(beat)  # no new claims after the window; queued ones drain below
        drain_until, seen, still_since = time.monotonic() + args.drain, -1, time.monotonic()
        while time.monotonic() < drain_until:
            pg.poll()
            now_seen = pg.count(count_sql, [monitor_ids, start])
            if now_seen != seen:
                seen, still_since = now_seen, time.monotonic()
            elif time.monotonic() - still_since >= 3:
                break
            time.sleep(1)
        pg.poll()
        stats = procfs.all_stats()
        for p in procs:
            cpu1.setdefault(p.name, procfs.tree_cpu_ticks(p.pid, stats))
        for worker in workers:
            processes.stop(worker)
        window_seconds = {
            "worker": sum(cpu1[w.name] - cpu0[w.name] for w in workers),
            "beat": cpu1["beat"] - cpu0["beat"],
            "postgres (bench backends)": pg.meter.ticks(),
        }
        if web is not None:
            window_seconds["web (idle during run)"] = cpu1["web"] - cpu0["web"]
        window_seconds["target (not the product)"] = cpu1["target"] - cpu0["target"]
        cpu_seconds = {name: round(procfs.ticks_to_seconds(ticks), 2) for name, ticks in window_seconds.items()}
        pg.close()

        from checks.models import CheckResult  # noqa: PLC0415
        from monitors.models import Monitor  # noqa: PLC0415

        rows = CheckResult.objects.filter(monitor_id__in=monitor_ids, due_at__gte=start, due_at__lt=end)
        results = [Result(m, d, s) for m, d, s in rows.values_list("monitor_id", "due_at", "started_at").iterator()]
        checks_run = CheckResult.objects.filter(monitor_id__in=monitor_ids, started_at__gte=start).count()
        final = dict(Monitor.objects.filter(id__in=monitor_ids).values_list("id", "next_check_at"))
        schedule = Schedule(first_due=first_due, interval=timedelta(seconds=args.interval), start=start, end=end)
        figures = schedule_figures(schedule=schedule, results=results, final_next_check_at=final)
        failed = rows.filter(ok=False).count()
        if failed:
            notes.append(f"{failed} of the window's checks failed (see the worker logs in {log_dir.name}/)")

        database = dataset.database_size(bench_monitor_ids=monitor_ids)
        database["bytes_per_million"] = bytes_per_million(table_bytes=database["table_bytes"], rows=database["rows"])

        queries = {}
        if dash_ids:
            client = dataset.logged_in_client(dash_user)
            metrics_path = f"/api/v1/monitors/{dash_ids[0]}/metrics/?range=90d"
            calls = args.query_calls
            queries["metrics 90d, in-process"] = summarize(dataset.time_calls(client, metrics_path, calls=calls))
            queries[f"dashboard {len(dash_ids)} monitors, in-process"] = summarize(
                dataset.time_calls(client, "/", calls=calls)
            )
            if web is not None:
                from django.conf import settings  # noqa: PLC0415

                cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
                web_before = procfs.tree_cpu_ticks(web.pid, procfs.all_stats())
                queries["metrics 90d, http via gunicorn"] = summarize(
                    http_time_calls(web_port, metrics_path, cookie, calls=calls)
                )
                queries[f"dashboard {len(dash_ids)} monitors, http via gunicorn"] = summarize(
                    http_time_calls(web_port, "/", cookie, calls=calls)
                )
                web_ticks = procfs.tree_cpu_ticks(web.pid, procfs.all_stats()) - web_before
                notes.append(
                    f"web CPU for the {2 * (calls + 1)} timed HTTP calls: {procfs.ticks_to_seconds(web_ticks):.2f} s"
                )

        report = Report(
            started_at=start.isoformat(),
            parameters={
                "monitors": args.monitors,
                "interval": args.interval,
                "duration": args.duration,
                "workers": args.workers,
                "concurrency": args.concurrency,
                "web_workers": args.web_workers,
                "dashboard_monitors": len(dash_ids),
                "target": "bench.target (Python ThreadingHTTPServer, 57-byte JSON, keep-alive) on 127.0.0.1",
                "cpu_count": os.cpu_count(),
                "checks_run_in_window": checks_run,
            },
            schedule=figures,
            cpu_seconds=cpu_seconds,
            cpu_per_1000_checks=cpu_per_thousand(cpu_seconds=cpu_seconds, checks=checks_run),
            database=database,
            queries=queries,
            notes=notes,
        )
    finally:
        for proc in reversed(procs):
            processes.stop(proc)
    text = render_text(report)
    (RESULTS / f"{stamp}.json").write_text(json.dumps(report.as_json(), indent=2, default=str) + "\n")
    (RESULTS / f"{stamp}.txt").write_text(text)
    sys.stdout.write(text)
    sys.stdout.write(f"\nwritten: bench/results/{stamp}.json, bench/results/{stamp}.txt (logs: {log_dir.name}/)\n")
    return 0 if figures.missed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
