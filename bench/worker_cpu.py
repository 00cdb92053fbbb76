"""One Celery worker's CPU per check and how fast it drains a burst: to choose the pool and concurrency.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/driftwatch_bench REDIS_URL=redis://127.0.0.1:6379/7 \
        .venv/bin/python -m bench.worker_cpu --checks 3000 --pool prefork --concurrency 4 [--log-level INFO]

Starts bench/target.py and one `celery -A config worker` (the pool, concurrency and LOG_LEVEL given)
on the database and Redis of the environment, creates `--monitors` parked HTTP monitors, publishes
`--checks` checks.run_check messages at once (distinct slots, as the dispatcher would), waits until
every result is stored, and prints checks/s drained and the CPU seconds per 1,000 checks of the
worker (its process tree, from /proc). No beat: the dispatcher's own
cost is the benchmark's (bench/run.py). The database name must contain 'bench' or end in '_f'.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench import processes, procfs


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checks", type=int, default=3000)
    parser.add_argument("--monitors", type=int, default=300)
    parser.add_argument("--pool", default="prefork", choices=["prefork", "threads", "solo"])
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--batch", type=int, default=0, help="slots per checks.run_checks message (0: run_check)")
    parser.add_argument("--cprofile", default="", help="run the worker under cProfile, writing this file")
    parser.add_argument("--timeout", type=float, default=300.0, help="give up after this many seconds")
    return parser.parse_args(argv)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(1)  # so `finally` stops the worker and the target (e.g. under `timeout`)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["ALLOW_PRIVATE_TARGETS"] = "true"
    os.environ["LOG_LEVEL"] = "WARNING"  # the harness's own Django
    import django  # noqa: PLC0415

    django.setup()
    from django.conf import settings  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    name = str(settings.DATABASES["default"]["NAME"])
    if "bench" not in name and not name.endswith("_f"):
        sys.stderr.write(f"refusing database {name!r}\n")
        return 2
    from accounts.services import user_create  # noqa: PLC0415
    from checks.models import CheckResult  # noqa: PLC0415
    from checks.tasks import run_check_task, run_checks_task  # noqa: PLC0415
    from core.queues import region_queue  # noqa: PLC0415
    from monitors.models import Monitor  # noqa: PLC0415
    from monitors.services import monitor_create  # noqa: PLC0415

    env = dict(os.environ, LOG_LEVEL=args.log_level, DEBUG="false")
    log_dir = Path(tempfile.mkdtemp(prefix="worker-cpu-"))
    port = processes.free_port()
    target = processes.start("target", processes.target_argv(port), env=env, log_dir=log_dir)
    worker = None
    try:
        processes.wait_for_port(target, port, timeout=20)
        stamp = int(time.time())
        user = user_create(email=f"wcpu-{stamp}@example.com", password="x" * 16, organization_name=f"W{stamp}")
        organization = user.memberships.first().organization
        ids = [
            monitor_create(organization=organization, name=f"w{i}", url=f"http://127.0.0.1:{port}/ok").id
            for i in range(args.monitors)
        ]
        Monitor.objects.filter(id__in=ids).update(next_check_at=timezone.now() + timedelta(days=3650))
        profile = [sys.executable, "-m", "cProfile", "-o", args.cprofile] if args.cprofile else []
        argv = [
            *profile,
            str(processes.VENV_BIN / "celery"),
            "-A",
            "config",
            "worker",
            "--loglevel",
            args.log_level,
            "--hostname",
            f"wcpu{stamp}@%h",
            "--pool",
            args.pool,
            "--concurrency",
            str(args.concurrency),
        ]
        worker = processes.start("worker", argv, env=env, log_dir=log_dir)
        processes.wait_for_log(worker, "ready", timeout=60)
        time.sleep(2)
        warm = timezone.now().replace(microsecond=0)
        for monitor_id in ids:  # each monitor's first result (pending -> up, an alerts nudge) is not steady state
            run_check_task.apply_async(args=[monitor_id, warm.isoformat(), "local"], queue=region_queue("local"))
        while CheckResult.objects.filter(monitor_id__in=ids).count() < len(ids):
            time.sleep(0.5)
        time.sleep(2)
        base = timezone.now().replace(microsecond=0) + timedelta(days=1)
        before = procfs.tree_cpu_ticks(worker.pid, procfs.all_stats())
        started = time.monotonic()
        slots = [(ids[k % len(ids)], base + timedelta(seconds=60 * (k // len(ids)))) for k in range(args.checks)]
        if args.batch:
            for start in range(0, len(slots), args.batch):
                chunk = [[monitor_id, due.isoformat()] for monitor_id, due in slots[start : start + args.batch]]
                run_checks_task.apply_async(args=["local", chunk], queue=region_queue("local"))
        else:
            for monitor_id, due in slots:
                run_check_task.apply_async(args=[monitor_id, due.isoformat(), "local"], queue=region_queue("local"))
        published = time.monotonic() - started
        done = 0
        while time.monotonic() - started < args.timeout:
            done = CheckResult.objects.filter(monitor_id__in=ids, due_at__gte=base).count()
            if done >= args.checks:
                break
            time.sleep(0.5)
        wall = time.monotonic() - started
        cpu = procfs.ticks_to_seconds(procfs.tree_cpu_ticks(worker.pid, procfs.all_stats()) - before)
        load = Path("/proc/loadavg").read_text().split()[0]
        sys.stdout.write(
            f"pool={args.pool} concurrency={args.concurrency} batch={args.batch} log={args.log_level}:"
            f" {done}/{args.checks} results"
            f" in {wall:.1f} s ({done / wall:.1f} checks/s; publishing took {published:.1f} s)"
            f"  worker CPU {cpu:.1f} s = {cpu / max(done, 1) * 1000:.2f} s per 1,000 checks  loadavg {load}\n"
        )
        return 0 if done >= args.checks else 1
    finally:
        if worker is not None:
            processes.stop(worker)
        processes.stop(target)


if __name__ == "__main__":
    sys.exit(main())
