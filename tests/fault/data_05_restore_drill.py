"""DATA-05 restore drill (PostgreSQL): dump under write load, restore into an empty database, verify.

    python tests/fault/data_05_restore_drill.py [--source-url URL] [--rows 200000] [--ping-url URL]

1. Refuses (exit 2) when `pg_dump --version` is older than the server's major version.
2. The source: --source-url, or (default) its own database driftwatch_drill_src, migrated and seeded
   with --rows results. While `pg_dump -Fc` runs, --writers sessions insert results.
3. The dump uses a snapshot exported by a session that counts every table in the same snapshot:
   those are the counts the restore must reproduce exactly, writes during the dump notwithstanding.
4. `pg_restore --exit-on-error --single-transaction` into an empty database (driftwatch_drill_restore).
5. Per-table counts compared, `manage.py migrate --check` on the restored database, then smoke
   checks through the ORM against it (partitions, a write, the CEL-02 slot constraint, dry-run
   retention and partition maintenance, `manage.py check`).
6. --ping-url (a Driftwatch heartbeat URL): /start before, then the result with the dump's size and
   the run's duration in the body (/fail on a failure), so a missing or failed drill alerts.
Prints what it found; exits 0 when every step passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

BASE_DIR = Path(__file__).resolve().parents[2]
SRC, DST = "driftwatch_drill_src", "driftwatch_drill_restore"


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def url_for(server: str, name: str) -> str:
    return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))


def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, **kwargs)  # noqa: S603


def recreate(server: str, name: str) -> None:
    admin = url_for(server, "postgres")
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        run(["psql", admin, "-qc", sql], check=True)


def major(version: str) -> int:
    return int(re.search(r"(\d+)", version).group(1))


def table_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Rows of every ordinary table in public (day partitions included, each on its own)."""
    names = [
        name
        for (name,) in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY c.relname"
        ).fetchall()
    ]
    return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}  # noqa: S608


def write_load(url: str, stop: threading.Event, counter: list[int], offset: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        monitor_id = conn.execute("SELECT id FROM monitors_monitor ORDER BY id LIMIT 1").fetchone()[0]
        n = 0
        while not stop.is_set() and n < 1_000_000:
            conn.execute(
                """INSERT INTO checks_checkresult (monitor_id, region, due_at, started_at, ok, error_kind, error,
                       body_truncated, degraded, details, shape_hash)
                   VALUES (%s, %s, clock_timestamp(), clock_timestamp(), true, '', '', false, false, '{}', '')""",
                [monitor_id, f"drill{offset}"],
            )
            n += 1
            counter[0] += 1
            stop.wait(0.005)


def ping(url: str | None, suffix: str = "", body: str = "") -> None:
    if not url:
        return
    request = urllib.request.Request(url.rstrip("/") + suffix, data=body.encode() or None, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - an operator's URL
            say(f"ping {suffix or '/'}: HTTP {response.status}")
    except OSError as exc:
        say(f"ping {suffix or '/'} failed: {exc}")


def smoke() -> None:
    """Runs in a subprocess with DATABASE_URL pointing at the restored database."""
    import django  # noqa: PLC0415

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import IntegrityError, transaction  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    from checks.models import CheckResult  # noqa: PLC0415
    from checks.partitions import partition_list, partitioning_enabled, partitions_manage  # noqa: PLC0415
    from checks.retention import retention_purge  # noqa: PLC0415
    from monitors.models import Monitor  # noqa: PLC0415

    call_command("check", verbosity=0)
    assert partitioning_enabled() and partition_list(), "results are not partitioned after the restore"
    monitor = Monitor.objects.order_by("id").first()
    assert monitor is not None, "no monitor restored"
    latest = CheckResult.objects.filter(monitor=monitor).order_by("-started_at", "-id").first()
    assert latest is not None, "the monitor has no result"
    with transaction.atomic():
        now = timezone.now()
        CheckResult.objects.create(monitor=monitor, region="smoke", due_at=now, started_at=now, ok=True)
        try:
            with transaction.atomic():
                CheckResult.objects.create(monitor=monitor, region="smoke", due_at=now, started_at=now, ok=True)
            raise AssertionError("a duplicate slot was stored")
        except IntegrityError:
            pass
        transaction.set_rollback(True)
    retention_purge(now=timezone.now(), dry_run=True)
    partitions_manage(now=timezone.now(), dry_run=True)
    partitions = len(partition_list())
    say(f"smoke: ok ({Monitor.objects.count()} monitors, latest result #{latest.id}, {partitions} partitions)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--server", default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--source-url", default="", help="drill this database instead of a seeded one of its own")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--writers", type=int, default=3)
    parser.add_argument("--ping-url", default="")
    parser.add_argument("--pg-dump", default="pg_dump", help="the pg_dump binary (the version check reads it)")
    parser.add_argument("--suffix", default="", help="appended to the names of the drill's own databases")
    parser.add_argument("--drop-after", action="store_true", help="drop the drill's own databases at the end")
    parser.add_argument("--smoke", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(BASE_DIR))
    os.chdir(BASE_DIR)
    if args.smoke:
        smoke()
        return 0

    ping(args.ping_url, "/start")
    try:
        return drill(args)
    except Exception as exc:  # noqa: BLE001 - any failure (a wrong password, a missing tool) is a failed drill
        say(f"DATA-05 FAIL: {type(exc).__name__}: {exc}")
        ping(args.ping_url, "/fail", f"error={type(exc).__name__}")
        return 1


def drill(args: argparse.Namespace) -> int:  # noqa: PLR0915 - one drill, step by step
    started = time.monotonic()
    failures: list[str] = []
    src, dst = SRC + args.suffix, DST + args.suffix
    source = args.source_url or url_for(args.server, src)
    target = url_for(args.server, dst)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "LOG_LEVEL": "WARNING"}

    # 1. Tool and server versions.
    dump_version = run([args.pg_dump, "--version"], check=True).stdout.strip()
    dump_major = major(dump_version.split("(PostgreSQL)")[-1])
    with psycopg.connect(source if args.source_url else url_for(args.server, "postgres")) as conn:
        server_version = conn.execute("SHOW server_version").fetchone()[0]
    say(f"pg_dump: {dump_version}; server: {server_version}")
    if dump_major < major(server_version):
        say(f"FAIL: pg_dump {dump_major} is older than the server's major version {major(server_version)}")
        ping(args.ping_url, "/fail", "pg_dump older than the server")
        return 2

    # 2. The source.
    if not args.source_url:
        recreate(args.server, src)
        run([sys.executable, "manage.py", "migrate", "-v0"], check=True, env={**env, "DATABASE_URL": source})
        seed = (
            "from tests.fault.purge_load import seed; "
            f"w = seed(rows={args.rows}, monitors=20); print(w.old_rows + w.recent_rows)"
        )
        out = run([sys.executable, "manage.py", "shell", "-c", seed], check=True, env={**env, "DATABASE_URL": source})
        say(f"source: {src}, seeded {out.stdout.strip().splitlines()[-1]} results")

    # 3. Dump under write load, from a snapshot whose counts are taken by the exporting session.
    stop, counter = threading.Event(), [0]
    writers = [
        threading.Thread(target=write_load, args=(source, stop, counter, i), daemon=True) for i in range(args.writers)
    ]
    for thread in writers:
        thread.start()
    time.sleep(0.5)
    dump = Path(tempfile.mkdtemp(prefix="drill-")) / "driftwatch.dump"
    with psycopg.connect(source) as snap:
        snap.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = snap.execute("SELECT pg_export_snapshot()").fetchone()[0]
        dump_started = time.monotonic()
        pg_dump = subprocess.Popen([args.pg_dump, "-Fc", f"--snapshot={snapshot}", "-f", str(dump), source])  # noqa: S603, S607
        expected = table_counts(snap)
        dump_rc = pg_dump.wait(timeout=1800)
        dump_s = time.monotonic() - dump_started
        snap.execute("COMMIT")
    during = counter[0]
    time.sleep(0.3)
    stop.set()
    for thread in writers:
        thread.join(timeout=30)
    size = dump.stat().st_size if dump.exists() else 0
    say(
        f"dump: exit {dump_rc}, {size / 1e6:.1f} MB in {dump_s:.1f} s while {args.writers} sessions inserted "
        f"({during} rows committed by the end of the dump)"
    )
    if dump_rc != 0:
        failures.append("pg_dump failed")

    # 4. Restore into an empty database.
    recreate(args.server, dst)
    restore_started = time.monotonic()
    restore = run(["pg_restore", "--exit-on-error", "--single-transaction", "--no-owner", "-d", target, str(dump)])
    restore_s = time.monotonic() - restore_started
    say(f"restore: exit {restore.returncode} in {restore_s:.1f} s {restore.stderr.strip()[:500]}")
    if restore.returncode != 0:
        failures.append("pg_restore failed")

    # 5. Counts, migrations, smoke.
    with psycopg.connect(target) as conn:
        restored = table_counts(conn)
    mismatched = {
        t: (expected.get(t), restored.get(t))
        for t in set(expected) | set(restored)
        if expected.get(t) != restored.get(t)
    }
    results = sum(n for t, n in restored.items() if t.startswith("checks_checkresult"))
    say(f"counts: {len(restored)} tables, {sum(restored.values())} rows ({results} results)")
    say(f"counts equal to the dump's snapshot: {'yes' if not mismatched else mismatched}")
    if mismatched:
        failures.append("per-table counts differ")
    check = run([sys.executable, "manage.py", "migrate", "--check"], env={**env, "DATABASE_URL": target})
    say(f"migrate --check: {'clean' if check.returncode == 0 else 'NOT clean: ' + check.stdout[-300:]}")
    if check.returncode != 0:
        failures.append("migrate --check")
    smoked = run([sys.executable, __file__, "--smoke"], env={**env, "DATABASE_URL": target})
    say(smoked.stdout.strip() or f"smoke: FAILED {smoked.stderr.strip()[-800:]}")
    if smoked.returncode != 0:
        failures.append("smoke")

    duration = time.monotonic() - started
    body = f"dump_bytes={size} duration_s={duration:.0f} tables={len(restored)} rows={sum(restored.values())}"
    say(f"DATA-05 {'PASS' if not failures else 'FAIL: ' + ', '.join(failures)} ({body})")
    ping(args.ping_url, "/fail" if failures else "", body)
    dump.unlink(missing_ok=True)
    dump.parent.rmdir()
    if args.drop_after:
        for name in ([] if args.source_url else [src]) + [dst]:
            run(["psql", url_for(args.server, "postgres"), "-qc", f"DROP DATABASE IF EXISTS {name}"])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
