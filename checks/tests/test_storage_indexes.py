"""checks/0010: one b-tree on checks_checkresult (the slot index), no primary key on PostgreSQL, a BRIN index on id;
and the due_at bounds of checks.result_window, which keep every started_at filter exact."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Organization
from checks.models import CheckResult
from checks.partitions import partition_create_day, partition_list, partition_name, partitions_create
from checks.result_window import CLOCK_SKEW, intervals_of, start_lag, started_before, started_within
from checks.selectors import latency_points_for_monitor, metrics_for_monitor, result_list_for_monitor
from monitors.models import Monitor

NOW = datetime.combine(timezone.now().date(), time(12), tzinfo=UTC)


@pytest.fixture
def alice_org(db) -> Organization:
    return Organization.objects.create(name="Alice Inc", result_retention_days=30)


def make_monitor(org: Organization, name: str, interval: int = 60) -> Monitor:
    return Monitor.objects.create(
        organization=org, name=name, url=f"http://127.0.0.1:9/{name}", interval_seconds=interval
    )


def result(m: Monitor, due: datetime, *, late: timedelta = timedelta(seconds=1), region: str = "local") -> CheckResult:
    return CheckResult.objects.create(
        monitor=m, region=region, due_at=due, started_at=due + late, ok=True, latency_ms=5
    )


def _plan(sql: str, params: list) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny test table: ask which index would serve
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.django_db
@pytest.mark.postgres_only
def test_the_partitioned_table_has_no_primary_key_but_a_brin_index_on_id(alice_org: Organization) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'checks_checkresult'::regclass AND contype = 'p'"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT c.relname, a.amname, pg_get_indexdef(c.oid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
            "WHERE i.indrelid = 'checks_checkresult'::regclass ORDER BY 1"
        )
        indexes = {name: (am, definition) for name, am, definition in cursor.fetchall()}
    assert set(indexes) == {"checkresult_id_brin", "checkresult_unique_slot"}
    assert indexes["checkresult_id_brin"][0] == "brin"
    assert "(monitor_id, due_at, region)" in indexes["checkresult_unique_slot"][1]
    # A day partition created later gets both, the BRIN one with its options.
    partitions_create(now=NOW)
    day = NOW.date() + timedelta(days=123)
    if day in {p.day for p in partition_list()}:  # left by a transactional test of an earlier run
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {partition_name(day)}")
    name = partition_create_day(day=day)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.amname, coalesce(array_to_string(c.reloptions, ','), '') FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam WHERE i.indrelid = %s::regclass "
            "ORDER BY 1",
            [name],
        )
        assert cursor.fetchall() == [("brin", "pages_per_range=16,autosummarize=on"), ("btree", "")]
    assert day in {p.day for p in partition_list()}


@pytest.mark.django_db
@pytest.mark.postgres_only
def test_a_result_is_found_by_id_through_the_brin_index(alice_org: Organization) -> None:
    partitions_create(now=NOW)
    m = make_monitor(alice_org, "a")
    rows = [result(m, NOW - timedelta(minutes=i)) for i in range(200)]
    rows.append(result(m, NOW - timedelta(days=1)))
    for row in rows[::37]:
        assert CheckResult.objects.get(id=row.id).due_at == row.due_at  # inserts returned their ids
    assert CheckResult.objects.filter(id__in=[rows[0].id, rows[-1].id]).count() == 2
    plan = _plan("SELECT * FROM checks_checkresult WHERE id = %s", [rows[5].id])
    assert "checkresult_id_brin" in plan or "_id_idx" in plan, plan
    assert "Seq Scan" not in plan, plan


@pytest.mark.django_db
@pytest.mark.postgres_only
def test_a_monitors_recent_results_read_the_slot_index_of_the_days_it_covers_only(alice_org: Organization) -> None:
    partitions_create(now=NOW)
    existing = {p.day for p in partition_list()}  # a transactional test may have left some behind
    for days in range(2, 6):
        if NOW.date() - timedelta(days=days) not in existing:
            partition_create_day(day=NOW.date() - timedelta(days=days))
    m = make_monitor(alice_org, "a")
    for i in range(30):
        result(m, NOW - timedelta(minutes=i))
    query = result_list_for_monitor(monitor=m, since=NOW - timedelta(hours=1), until=NOW)
    sql, params = query.query.sql_with_params()
    plan = _plan(sql, list(params))
    assert "checkresult_unique_slot" in plan or "_monitor_id_due_at_region" in plan, plan
    scanned_days = {p.name for p in partition_list() if p.name in plan}
    assert scanned_days <= {f"checks_checkresult_p{d:%Y%m%d}" for d in (NOW.date(), NOW.date() - timedelta(days=1))}
    assert "_default" not in plan


@pytest.mark.django_db
def test_started_at_filters_stay_exact_with_the_due_at_bounds(alice_org: Organization) -> None:
    fast, slow = make_monitor(alice_org, "fast", 60), make_monitor(alice_org, "slow", 86_400)
    since, until = NOW - timedelta(hours=1), NOW
    # Slots started late (as late as a long interval allows) or early (clock skew) still count by started_at.
    inside = [
        result(fast, since - start_lag(60) + timedelta(seconds=1), late=start_lag(60) - timedelta(seconds=1)),
        result(fast, until, late=-(CLOCK_SKEW - timedelta(seconds=1))),
        result(slow, since - timedelta(days=1, hours=1), late=timedelta(days=1, hours=1, minutes=5)),
        result(fast, NOW - timedelta(minutes=30)),
    ]
    result(fast, since - timedelta(minutes=5))  # started before since
    result(fast, until + timedelta(seconds=5))  # started after until
    window = started_within(intervals=intervals_of([fast.id, slow]), since=since, until=until)
    assert sorted(CheckResult.objects.filter(window).values_list("id", flat=True)) == sorted(r.id for r in inside)
    assert set(result_list_for_monitor(monitor=fast, since=since, until=until)) == set(inside) - {inside[2]}
    assert list(result_list_for_monitor(monitor=slow, since=since)) == [inside[2]]
    assert len(latency_points_for_monitor(monitor=fast, since=since)) == 4  # no upper bound: the late one too
    assert metrics_for_monitor(monitor=fast, range_name="1h", now=until).checks == 3
    old = CheckResult.objects.filter(started_before(monitor_id=fast.id, cutoff=since))
    assert old.count() == 1


@pytest.mark.django_db
def test_the_results_list_is_newest_slot_first(alice_org: Organization) -> None:
    m = make_monitor(alice_org, "a")
    older = result(m, NOW - timedelta(minutes=2), late=timedelta(minutes=1, seconds=30))  # started late
    newer = result(m, NOW - timedelta(minutes=1))
    other_region = result(m, NOW - timedelta(minutes=1), region="eu")
    assert list(result_list_for_monitor(monitor=m)) == [other_region, newer, older]
    assert started_within(intervals={}, since=NOW) is not None
    assert not CheckResult.objects.filter(started_within(intervals={}, since=NOW)).exists()


def _keys_and_indexes() -> tuple[dict[str, str], set[str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'checks_checkresult'::regclass AND contype IN ('p', 'u')"
        )
        keys = dict(cursor.fetchall())
        cursor.execute(
            "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'checks_checkresult'::regclass"
        )
        return keys, {name for (name,) in cursor.fetchall()}


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_0010_goes_back_to_the_primary_key_and_monitor_time_index_and_forward_again() -> None:
    from django.db.migrations.executor import MigrationExecutor  # noqa: PLC0415

    org = Organization.objects.create(name="migrating", result_retention_days=30)
    m = make_monitor(org, "m")
    kept = result(m, NOW)
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        MigrationExecutor(connection).migrate([("checks", "0009_contractbaseline_content_type")])
        keys, indexes = _keys_and_indexes()
        assert keys["checks_checkresult_pkey"] == "PRIMARY KEY (id, due_at)"
        assert keys["checkresult_unique_slot"] == "UNIQUE (monitor_id, region, due_at)"
        assert "checkresult_monitor_time_idx" in indexes and "checkresult_id_brin" not in indexes
    finally:
        MigrationExecutor(connection).migrate(leaves)
    keys, indexes = _keys_and_indexes()
    assert keys == {"checkresult_unique_slot": "UNIQUE (monitor_id, due_at, region)"}
    assert indexes == {"checkresult_unique_slot", "checkresult_id_brin"}
    assert CheckResult.objects.get(id=kept.id).due_at == NOW
