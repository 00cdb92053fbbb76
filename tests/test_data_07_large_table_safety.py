"""DATA-07 large-table safety: lintmigrations passes; migrate runs with lock_timeout 2 s; while another
session holds a long transaction on checks_checkresult, an index added concurrently lets writes go
on, and an unsafe operation fails within about 2 s instead of queueing writers behind its lock."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import OperationalError, connection, connections, migrations, models, transaction
from django.db.migrations.state import ProjectState
from django.db.models.signals import pre_migrate
from django.utils import timezone

from accounts.models import Organization
from checks.migrate_hooks import lock_timeout_set
from checks.migration_ops import AddIndexConcurrentlyPartitioned
from checks.models import CheckResult
from checks.partitions import partitions_create
from monitors.models import Monitor
from tests.fault.purge_load import Inserter

pytestmark = pytest.mark.django_db

HOLD_S = 3.0  # longer than the 2 s lock_timeout


def lock_timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        return cursor.fetchone()[0]


def run(operation: migrations.operations.base.Operation, *, atomic: bool, backwards: bool = False) -> None:
    """Apply one migration operation to the database as `migrate` would."""
    before = ProjectState.from_apps(apps)
    after = before.clone()
    operation.state_forwards("checks", after)
    with connection.schema_editor(atomic=atomic) as editor:
        if backwards:
            operation.database_backwards("checks", editor, after, before)
        else:
            operation.database_forwards("checks", editor, before, after)


@pytest.fixture
def monitor() -> Monitor:
    org = Organization.objects.create(name="big tables", result_retention_days=30)
    return Monitor.objects.create(organization=org, name="m", url="http://127.0.0.1:9/")


@pytest.fixture
def long_transaction(monitor: Monitor) -> Iterator[threading.Event]:
    """Another session: inserts a result, then keeps its transaction open for HOLD_S seconds."""
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                now = timezone.now()
                CheckResult.objects.create(monitor=monitor, region="holder", due_at=now, started_at=now, ok=True)
                holding.set()
                time.sleep(HOLD_S)
        finally:
            connection.close()
            done.set()

    partitions_create(now=timezone.now())
    threading.Thread(target=hold, daemon=True).start()
    assert holding.wait(10)
    yield done
    done.wait(HOLD_S + 10)


@pytest.fixture
def writer(monitor: Monitor) -> Iterator[Inserter]:
    inserter = Inserter(monitor=monitor, every_s=0.02, offset_s=0)
    inserter.start()
    yield inserter
    inserter.stop.set()
    inserter.join(timeout=30)


@pytest.mark.postgres_only
def test_data_07_lintmigrations_passes(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("lintmigrations", "--no-cache")  # SystemExit(1) on an erroneous migration
    out = capsys.readouterr().out  # the linter prints to sys.stdout
    assert "Erroneous migrations: 0/" in out
    assert "(checks, 0008_checkresult_partitioned_by_day)... OK" in out


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_data_07_migrate_runs_with_a_2s_lock_timeout_and_resets_it_afterwards() -> None:
    seen: list[str] = []

    def record(using: str = "default", **kwargs: object) -> None:
        with connections[using].cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            seen.append(cursor.fetchone()[0])

    pre_migrate.connect(record, weak=False, dispatch_uid="data-07-record")
    try:
        call_command("migrate", verbosity=0)
    finally:
        pre_migrate.disconnect(dispatch_uid="data-07-record")
    assert seen[-1] == "2s"  # what the migrations themselves ran with
    assert lock_timeout() == "0"  # the session is back to the default


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_data_07_an_index_added_concurrently_lets_writes_continue_behind_a_long_transaction(
    long_transaction: threading.Event, writer: Inserter
) -> None:
    operation = AddIndexConcurrentlyPartitioned(
        "checkresult", models.Index(fields=["started_at"], name="data07_started_idx")
    )
    lock_timeout_set()  # as migrate does
    started = time.monotonic()
    try:
        run(operation, atomic=False)
        elapsed = time.monotonic() - started
        assert long_transaction.is_set()  # it waited for the long transaction, without failing
        with connection.cursor() as cursor:
            cursor.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 'data07_started_idx'::regclass")
            assert cursor.fetchone()[0] is True  # every partition's index built and attached
    finally:
        run(operation, atomic=False, backwards=True)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    writer.stop.set()
    writer.join(timeout=30)
    assert elapsed > HOLD_S - 1
    assert writer.errors == []
    assert len(writer.latencies_s) > 50
    assert max(writer.latencies_s) < 0.5  # writes went on all along


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_data_07_an_unsafe_operation_fails_within_2s_instead_of_queueing_writers(
    long_transaction: threading.Event, writer: Inserter
) -> None:
    # ADD COLUMN needs ACCESS EXCLUSIVE: behind the long transaction it would wait, and every writer
    # with it. With the migration lock_timeout it gives up after 2 s.
    operation = migrations.AddField("checkresult", "data07_note", models.IntegerField(null=True))
    time.sleep(0.3)
    lock_timeout_set()
    started = time.monotonic()
    try:
        with pytest.raises(OperationalError, match="lock timeout"):
            run(operation, atomic=True)
        elapsed = time.monotonic() - started
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert 1.8 < elapsed < 3.0
    assert not long_transaction.is_set()  # it failed while the long transaction was still open
    time.sleep(0.3)
    writer.stop.set()
    writer.join(timeout=30)
    assert writer.errors == []
    # Writers queued behind the waiting ALTER for at most the lock_timeout, then went on.
    assert max(writer.latencies_s) < 2.5
    assert sum(1 for s in writer.latencies_s if s < 0.1) > 20
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM information_schema.columns WHERE column_name = 'data07_note'")
        assert cursor.fetchone()[0] == 0


@pytest.mark.django_db(transaction=True)
def test_data_07_the_partition_aware_index_operation_works_on_any_database(monitor: Monitor) -> None:
    operation = AddIndexConcurrentlyPartitioned("checkresult", models.Index(fields=["-started_at"], name="data07_idx"))
    run(operation, atomic=False)
    try:
        with connection.cursor() as cursor:
            assert "data07_idx" in connection.introspection.get_constraints(cursor, "checks_checkresult")
    finally:
        run(operation, atomic=False, backwards=True)
    with connection.cursor() as cursor:
        assert "data07_idx" not in connection.introspection.get_constraints(cursor, "checks_checkresult")
