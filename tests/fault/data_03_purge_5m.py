"""DATA-03 at full size (PostgreSQL): purge 5 M rows' worth of results while sessions insert, with a
SIGKILL part-way, and print what it found. Exits non-zero when an insert waited 1 s or more, a lock
was waited on for 1 s or more, or the re-run did not converge.

    python tests/fault/data_03_purge_5m.py [--rows 5000000] [--monitors 1000] [--kill-after 60]

It drops and recreates its own database (--database, default driftwatch_data03 on the server of
DATABASE_URL, default postgres://postgres@127.0.0.1:5432/), migrates it, seeds the rows (two thirds
past the 30-day retention, in day partitions), then:
1. runs `manage.py purge_results --force` in a subprocess while 3 sessions insert a result every
   20 ms and a sampler reads pg_locks every 50 ms, and SIGKILLs it after --kill-after seconds;
2. runs the purge again in-process under the same load until it is done;
3. checks that exactly the rows past retention are gone (converged) and prints the figures.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parents[2]


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--monitors", type=int, default=1000)
    parser.add_argument("--kill-after", type=float, default=60.0)
    parser.add_argument("--database", default="driftwatch_data03")
    args = parser.parse_args()

    server = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    url = urlunsplit(server._replace(path=f"/{args.database}"))
    admin = urlunsplit(server._replace(path="/postgres"))
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {args.database}"], check=True)  # noqa: S603, S607
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {args.database}"], check=True)  # noqa: S603, S607
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.local", "LOG_LEVEL": "WARNING"}
    os.environ.update(env)
    sys.path.insert(0, str(BASE_DIR))
    os.chdir(BASE_DIR)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], check=True, env=env)  # noqa: S603

    import django  # noqa: PLC0415

    django.setup()
    from django.utils import timezone  # noqa: PLC0415

    from checks.models import CheckResult  # noqa: PLC0415
    from tests.fault.insert_load import InsertProcesses  # noqa: PLC0415
    from tests.fault.purge_load import LockSampler, purge_under_load, seed  # noqa: PLC0415

    started = time.monotonic()
    world = seed(rows=args.rows, monitors=args.monitors)
    total = CheckResult.objects.count()
    say(
        f"seeded {total} results for {args.monitors} monitors in {time.monotonic() - started:.0f} s; "
        f"{world.old_rows} past retention"
    )

    # 1. A purge in a subprocess, killed with SIGKILL part-way, while sessions insert.
    inserts = InsertProcesses(url=url, monitor_id=world.live.id, count=3, every_s=0.02).start()
    sampler = LockSampler()
    sampler.start()
    time.sleep(1.0)
    purge = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "purge_results", "--force"], env=env, stdout=subprocess.DEVNULL
    )
    # Killed once some batches are done (or after --kill-after seconds at most).
    deadline = time.monotonic() + args.kill_after
    while time.monotonic() < deadline and CheckResult.objects.count() > total - 10_000 and purge.poll() is None:
        time.sleep(0.2)
    killed_at = args.kill_after - (deadline - time.monotonic())
    os.kill(purge.pid, signal.SIGKILL)
    purge.wait(timeout=30)
    inserts.finish()
    sampler.stop.set()
    sampler.join(timeout=30)
    left = CheckResult.objects.filter(monitor__in=world.monitors).count()
    killed_ok = purge.returncode == -signal.SIGKILL and world.recent_rows < left < total
    say(
        f"phase 1 (SIGKILL after {killed_at:.0f} s, exit {purge.returncode}): deleted {total - left} "
        f"rows before the kill; inserts: {inserts.summary()}; "
        f"pg_locks longest wait {sampler.max_wait_s * 1000:.1f} ms over {sampler.samples} samples"
    )

    # 2. The purge again, to the end, under the same load.
    report = purge_under_load(world=world, writers=3, every_s=0.02, now=timezone.now())
    say("phase 2 (re-run to the end):")
    for line in report.lines():
        say("  " + line)
    final = CheckResult.objects.filter(monitor__in=world.monitors).count()
    converged = final == world.recent_rows and report.deleted == left - world.recent_rows
    say(f"converged: {converged} ({final} rows left, {world.recent_rows} expected)")
    worst_insert = max(inserts.latencies_s[-1], report.insert_max_s)
    worst_lock = max(sampler.max_wait_s, report.lock_max_wait_s)
    errors = inserts.errors + report.inserts.errors
    ok = killed_ok and converged and worst_insert < 1.0 and worst_lock < 1.0 and not errors
    say(
        f"DATA-03 {'PASS' if ok else 'FAIL'}: longest insert {worst_insert * 1000:.1f} ms, "
        f"longest lock wait {worst_lock * 1000:.1f} ms (bar: under 1000 ms)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
