"""checks/0008 on PostgreSQL, both ways on a database with rows (DATA-06 goes back one step only, and
the leaf of checks moves on): plain again, then partitioned again, with the same rows, ids, a
sequence that carries on, status changes still pointing at their results, and a dangling result_id
(a dropped partition) set to NULL so that 0007's foreign key can come back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.models import Organization
from checks.models import CheckResult, StatusChange
from checks.partitions import DEFAULT_PARTITION, partition_name
from monitors.models import Monitor

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def relkind() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = 'checks_checkresult'::regclass")
        return cursor.fetchone()[0]


def home(result_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM checks_checkresult WHERE id = %s", [result_id])
        return cursor.fetchone()[0]


def rows() -> set[tuple]:
    return set(CheckResult.objects.values_list("id", "monitor_id", "region", "due_at", "ok"))


def migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)


def test_0008_goes_back_to_a_plain_table_and_forward_again_keeping_rows_ids_and_the_sequence() -> None:
    now = timezone.now()
    org = Organization.objects.create(name="migrating", result_retention_days=30)
    m = Monitor.objects.create(organization=org, name="m", url="http://127.0.0.1:9/")
    made = CheckResult.objects.bulk_create(
        [
            CheckResult(monitor=m, due_at=now - timedelta(days=d, minutes=i), started_at=now, ok=bool(i % 2))
            for d in (0, 1, 20)
            for i in range(5)
        ]
    )
    linked = StatusChange.objects.create(monitor=m, result=made[0], old_state="up", new_state="down")
    dangling = StatusChange.objects.create(monitor=m, result_id=made[-1].id + 10_000, old_state="down", new_state="up")
    before = rows()
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    assert relkind() == "p"
    try:
        migrate([("checks", "0006_contract_drift")])  # through 0008's and 0007's reverse
        assert relkind() == "r"
        assert rows() == before
        dangling.refresh_from_db()
        linked.refresh_from_db()
        assert dangling.result_id is None and linked.result_id == made[0].id
        plain = CheckResult.objects.create(monitor=m, due_at=now + timedelta(minutes=1), started_at=now, ok=True)
        assert plain.id > max(r.id for r in made)
    finally:
        migrate(leaves)
    assert relkind() == "p"
    assert rows() == before | {(plain.id, m.id, "local", plain.due_at, True)}
    assert home(made[0].id) == partition_name(made[0].due_at.date())
    assert home(plain.id) == partition_name(plain.due_at.date())
    # 20 days back is covered by a day partition (the migration starts at the oldest row's day).
    assert home(made[-1].id) == partition_name(made[-1].due_at.date()) != DEFAULT_PARTITION
    again = CheckResult.objects.create(monitor=m, due_at=now + timedelta(minutes=2), started_at=now, ok=True)
    assert again.id > plain.id
    linked.refresh_from_db()
    assert linked.result_id == made[0].id
