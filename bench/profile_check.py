"""CPU and queries of one scheduled check, in-process: the write path without Celery's overhead.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/driftwatch_f REDIS_URL=redis://127.0.0.1:6379/6 \
        .venv/bin/python -m bench.profile_check --checks 400 [--monitors 50] [--cprofile 25] [--batch 20]

Creates an organisation and `--monitors` HTTP monitors against bench/target.py (started as a
subprocess on loopback), then runs checks.tasks.run_check_task's body for `--checks` slots spread
over the monitors (as a worker would after the dispatcher, minus Celery; with --batch N, the body of
checks.run_checks for N slots at a time, the CPU of a batch shared by its slots), and prints the median
process CPU per check (the target's CPU is in its own process), SQL queries per check and, with
--cprofile N, the N costliest functions. It refuses a database whose name has no `_f` or `bench`.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import subprocess
import sys
import time
from datetime import timedelta


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("ALLOW_PRIVATE_TARGETS", "true")
    import django  # noqa: PLC0415

    django.setup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checks", type=int, default=400)
    parser.add_argument("--monitors", type=int, default=50)
    parser.add_argument("--cprofile", type=int, default=0, help="print the N costliest functions")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--batch", type=int, default=0, help="slots per checks.run_checks (0: one run_check each)")
    args = parser.parse_args()
    _setup()
    from django.conf import settings  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    name = settings.DATABASES["default"]["NAME"]
    if "bench" not in str(name) and not str(name).endswith("_f"):
        sys.stderr.write(f"refusing database {name!r}: its name must contain 'bench' or end in '_f'\n")
        return 2
    from accounts.services import user_create  # noqa: PLC0415
    from checks.tasks import run_check_task, run_checks_task  # noqa: PLC0415
    from monitors.models import Monitor  # noqa: PLC0415
    from monitors.services import monitor_create  # noqa: PLC0415

    target = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "bench.target", "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        port = int(target.stdout.readline().split()[1])  # type: ignore[union-attr]
        stamp = int(time.time())
        user = user_create(email=f"profile-{stamp}@example.com", password="x" * 16, organization_name=f"P{stamp}")
        organization = user.memberships.first().organization
        monitors = [
            monitor_create(
                organization=organization,
                name=f"p{i}",
                url=f"http://127.0.0.1:{port}/ok",
                interval_seconds=60,
                timeout_seconds=5,
            )
            for i in range(args.monitors)
        ]
        Monitor.objects.filter(id__in=[m.id for m in monitors]).update(
            next_check_at=timezone.now() + timedelta(days=3650)
        )
        base = timezone.now().replace(microsecond=0)
        queries: list[int] = []
        counted = [0]

        def count(execute, sql, params, many, context):  # noqa: ANN001, ANN202
            counted[0] += 1
            return execute(sql, params, many, context)

        size = max(1, args.batch)

        def slot(k: int) -> list:
            monitor = monitors[k % len(monitors)]
            due = base + timedelta(seconds=60 * (k // len(monitors)))  # each monitor's slots in order
            return [monitor.id, due.isoformat()]

        def one(k: int) -> float:
            """CPU per check of the k-th run (or of the k-th batch of `size` slots)."""
            counted[0] = 0
            before = time.process_time()
            with connection.execute_wrapper(count):
                if args.batch:
                    run_checks_task.run("local", [slot(k * size + i) for i in range(size)])
                else:
                    run_check_task.run(*slot(k), "local")
            queries.append(counted[0] / size)
            return (time.process_time() - before) / size

        runs = max(1, args.checks // size)
        warmup = max(1, args.warmup // size)
        for k in range(warmup):
            one(k)
        queries.clear()
        profiler = cProfile.Profile(time.process_time) if args.cprofile else None  # CPU, not wall time
        if profiler:
            profiler.enable()
        cpu = [one(k) for k in range(warmup, warmup + runs)]
        if profiler:
            profiler.disable()
        sys.stdout.write(
            f"checks {len(cpu) * size}  cpu per check median {statistics.median(cpu) * 1000:.2f} ms"
            f"  mean {statistics.fmean(cpu) * 1000:.2f} ms  queries per check median {statistics.median(queries)}"
            f"  loadavg {open('/proc/loadavg').read().split()[0]}"  # noqa: PTH123, SIM115
            "\n"
        )
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.cprofile)
            sys.stdout.write(out.getvalue())
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.cprofile)
            sys.stdout.write(out.getvalue())
    finally:
        target.terminate()
        target.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
