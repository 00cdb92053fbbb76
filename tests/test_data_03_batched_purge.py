"""DATA-03 batched purge: each batch is one DELETE in its own transaction; while a large purge runs
(scaled down here to 200 k rows; tests/fault/data_03_purge_5m.py runs the 5 M), concurrent
CheckResult inserts never wait more than 1 s (their own latency, and ungranted locks sampled from
pg_locks); a purge killed with SIGKILL part-way converges when run again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Organization
from checks.models import CheckResult, RollupProgress
from checks.retention import retention_purge
from monitors.models import Monitor
from tests.fault.purge_load import purge_under_load, seed

pytestmark = pytest.mark.django_db


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def test_data_03_each_batch_is_one_delete_of_at_most_batch_size_rows_in_its_own_transaction() -> None:
    now = timezone.now()
    old_noon = (now - timedelta(days=30)).replace(hour=12, minute=0, second=0, microsecond=0)
    org = Organization.objects.create(name="batches", result_retention_days=7)
    m = Monitor.objects.create(organization=org, name="m", url="http://127.0.0.1:9/")
    CheckResult.objects.bulk_create(
        # One UTC day: one DELETE per batch (a batch spanning days has one DELETE per day, same transaction).
        [CheckResult(monitor=m, due_at=old_noon - timedelta(minutes=h), started_at=now, ok=True) for h in range(11)]
        + [CheckResult(monitor=m, due_at=now, started_at=now, ok=True)]
    )
    for row in CheckResult.objects.exclude(due_at=now):
        CheckResult.objects.filter(id=row.id).update(started_at=row.due_at)
    with CaptureQueriesContext(connection) as queries:
        report = retention_purge(now=now, force=True, batch_size=3)
    assert report.tables["checks_checkresult"].deleted == 11
    sql = [q["sql"] for q in queries.captured_queries]
    deletes = [i for i, s in enumerate(sql) if s.startswith('DELETE FROM "checks_checkresult"')]
    assert len(deletes) == 4  # 3 + 3 + 3 + 2
    # Each DELETE sits between its own SAVEPOINT and RELEASE (a transaction of its own outside tests).
    for i in deletes:
        opened = max(j for j in range(i) if sql[j].startswith("SAVEPOINT"))
        assert not any(s.startswith(('DELETE FROM "checks_checkresult"', "RELEASE")) for s in sql[opened + 1 : i])
        assert any(s.startswith("RELEASE SAVEPOINT") for s in sql[i + 1 :])
    assert CheckResult.objects.count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_data_03_inserts_never_wait_over_1s_while_200k_rows_are_purged() -> None:
    world = seed(rows=200_000, monitors=50)
    report = purge_under_load(world=world, writers=3, every_s=0.02)
    print("\n".join(report.lines()))  # noqa: T201 - the figures, with -s
    assert report.deleted == world.old_rows >= 130_000
    assert report.inserts.errors == []
    assert len(report.inserts.latencies_s) >= 30
    assert report.insert_max_s < 1.0
    assert report.lock_samples >= 10 and report.lock_max_wait_s < 1.0
    assert CheckResult.objects.filter(monitor__in=world.monitors).count() == world.recent_rows


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_data_03_a_purge_killed_with_sigkill_part_way_converges_on_the_next_run() -> None:
    world = seed(rows=60_000, monitors=20)
    total = CheckResult.objects.count()
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    purge = subprocess.Popen(
        [sys.executable, "manage.py", "purge_results", "--force", "--batch-size", "500"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while CheckResult.objects.count() > total - 2_000 and purge.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(purge.pid, signal.SIGKILL)
    finally:
        purge.kill()
        purge.wait(timeout=30)
    assert purge.returncode == -signal.SIGKILL
    left = CheckResult.objects.count()
    assert total - world.old_rows < left < total  # stopped part-way, whole batches done
    report = retention_purge(now=timezone.now(), force=True)
    assert report.tables["checks_checkresult"].deleted == left - (total - world.old_rows)
    assert CheckResult.objects.count() == world.recent_rows
    assert RollupProgress.objects.exists()
    assert retention_purge(now=timezone.now(), force=True).tables["checks_checkresult"].deleted == 0
