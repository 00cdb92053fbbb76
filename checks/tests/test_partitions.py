"""Day partitions of check results on PostgreSQL (checks.partitions, checks/0008): created ahead, rows
in their day, CEL-02 on the partitioned table, retention by partition ("retention proved": expired
partitions gone, rollups remain, protected rows survive, no live data lost) and its guard rails."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Organization
from checks.models import CheckResult, Rollup, RollupProgress, StatusChange
from checks.partitions import (
    DEFAULT_PARTITION,
    partition_create_day,
    partition_list,
    partition_name,
    partitioning_enabled,
    partitions_compact,
    partitions_create,
    partitions_drop_expired,
    partitions_manage,
)
from checks.retention import RetentionGuardError, retention_purge
from checks.tasks import manage_partitions_task
from monitors.models import Monitor

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only]

NOW = datetime.combine(timezone.now().date(), time(12), tzinfo=UTC)  # noon today: no midnight edge
TODAY = NOW.date()


def noon(days_ago: int) -> datetime:
    return NOW - timedelta(days=days_ago)


def make_monitor(org: Organization, name: str) -> Monitor:
    return Monitor.objects.create(organization=org, name=name, url=f"http://127.0.0.1:9/{name}")


def result(m: Monitor, at: datetime, region: str = "local") -> CheckResult:
    return CheckResult.objects.create(
        monitor=m, region=region, due_at=at, started_at=at + timedelta(seconds=1), ok=True
    )


def home(result_id: int) -> str:
    """The partition (table) a result row is stored in."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM checks_checkresult WHERE id = %s", [result_id])
        return cursor.fetchone()[0]


def table_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        return cursor.fetchone()[0]


def test_the_table_is_partitioned_by_due_at_with_a_default_partition() -> None:
    assert partitioning_enabled()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_partkeydef('checks_checkresult'::regclass)")
        assert cursor.fetchone()[0] == "RANGE (due_at)"
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'checks_checkresult'::regclass AND c.relname = %s",
            [DEFAULT_PARTITION],
        )
        assert cursor.fetchone() is not None


def test_partitions_are_created_ahead_and_creating_again_changes_nothing(settings) -> None:
    settings.CHECKS_PARTITION_DAYS_AHEAD = 7
    later = NOW + timedelta(days=30)
    created = partitions_create(now=later)
    expected = [partition_name(later.date() + timedelta(days=d)) for d in range(-1, 8)]
    assert created == expected
    days = {p.day for p in partition_list()}
    assert {later.date() + timedelta(days=d) for d in range(-1, 8)} <= days
    assert partitions_create(now=later) == []


def test_results_land_in_the_partition_of_their_due_day(alice_org: Organization) -> None:
    partitions_create(now=NOW)
    m = make_monitor(alice_org, "a")
    today, yesterday = result(m, NOW), result(m, NOW - timedelta(days=1))
    ancient = result(m, noon(500))  # no partition covers it
    assert home(today.id) == partition_name(TODAY)
    assert home(yesterday.id) == partition_name(TODAY - timedelta(days=1))
    assert home(ancient.id) == DEFAULT_PARTITION
    # Django still sees one table with `id` as the primary key.
    assert CheckResult.objects.get(pk=today.id).due_at == NOW


def test_cel_02_a_duplicate_slot_is_rejected_on_the_partitioned_table(alice_org: Organization) -> None:
    m = make_monitor(alice_org, "a")
    first = result(m, NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        result(m, NOW)
    # The upsert form a batched writer uses: ON CONFLICT on the slot does nothing.
    CheckResult.objects.bulk_create(
        [CheckResult(monitor=m, region="local", due_at=NOW, started_at=NOW, ok=False)], ignore_conflicts=True
    )
    assert list(CheckResult.objects.filter(monitor=m).values_list("id", "ok")) == [(first.id, True)]
    other_region = result(m, NOW, region="eu")
    assert home(other_region.id) == home(first.id)


def test_a_new_partition_takes_over_its_rows_from_the_default_partition(alice_org: Organization) -> None:
    m = make_monitor(alice_org, "a")
    day = TODAY + timedelta(days=40)
    early = result(m, datetime.combine(day, time(0), tzinfo=UTC))
    late = result(m, datetime.combine(day, time(23, 59), tzinfo=UTC))
    assert home(early.id) == home(late.id) == DEFAULT_PARTITION
    partition_create_day(day=day)
    assert home(early.id) == home(late.id) == partition_name(day)
    assert CheckResult.objects.filter(monitor=m).count() == 2


def test_deleting_a_monitor_deletes_its_results_in_every_partition(alice_org: Organization) -> None:
    partitions_create(now=NOW)
    m, other = make_monitor(alice_org, "a"), make_monitor(alice_org, "b")
    for at in (NOW, NOW - timedelta(days=1), noon(500)):
        result(m, at)
        result(other, at)
    m.delete()
    assert CheckResult.objects.filter(monitor_id=m.id).count() == 0
    assert CheckResult.objects.filter(monitor=other).count() == 3


# --- retention by partition ------------------------------------------------------------------


@pytest.fixture
def alice_org(db) -> Organization:
    return Organization.objects.create(name="Alice Inc", result_retention_days=30)


def world(org: Organization, *, longest: int = 45, built_days_ago: float = 0.1) -> dict:
    """Partitions for days 60..1 ago, two monitors with a result a day, a quiet monitor whose latest
    result is 55 days old, status changes, rollups; another organisation with the longest retention."""
    Organization.objects.create(name="Keeps longer", result_retention_days=longest)
    existing = {p.day for p in partition_list()}
    for days_ago in range(60, -1, -1):
        if TODAY - timedelta(days=days_ago) not in existing:
            partition_create_day(day=TODAY - timedelta(days=days_ago))
    busy, other, quiet = make_monitor(org, "busy"), make_monitor(org, "other"), make_monitor(org, "quiet")
    rows = {m.name: {d: result(m, noon(d)) for d in range(60, -1, -1)} for m in (busy, other)}
    quiet_rows = {d: result(quiet, noon(d)) for d in (58, 55)}
    # busy went DOWN 50 days ago and recovered 49 days ago: both changes are within 93 days.
    StatusChange.objects.create(
        monitor=busy,
        result=rows["busy"][50],
        old_state="up",
        new_state="down",
        created_at=noon(50),
        processed_at=noon(50),
    )
    StatusChange.objects.create(
        monitor=busy,
        result=rows["busy"][49],
        old_state="down",
        new_state="up",
        created_at=noon(49),
        processed_at=noon(49),
    )
    rollups = {
        Rollup.objects.create(monitor=busy, region="local", period=p, bucket_start=noon(d), checks=1).id
        for p in ("hour", "day")
        for d in range(60, 0, -5)
    }
    RollupProgress.objects.create(period="hour", built_until=NOW - timedelta(days=built_days_ago))
    return {"rows": rows, "quiet": quiet_rows, "rollups": rollups, "monitors": (busy, other, quiet)}


def test_retention_proved_expired_partitions_gone_rollups_remain_protected_rows_survive(alice_org) -> None:
    w = world(alice_org)
    live_before = set(CheckResult.objects.filter(due_at__gte=NOW - timedelta(days=45)).values_list("id", flat=True))
    report = partitions_drop_expired(now=NOW, force=True)
    cutoff = NOW - timedelta(days=45)
    # Every day partition ending at or before now - 45 days (the longest retention) is gone ...
    gone = [partition_name(TODAY - timedelta(days=d)) for d in range(60, 45, -1)]
    assert report.dropped == gone
    assert not any(table_exists(name) for name in gone)
    assert min(p.start for p in partition_list()) == datetime.combine(TODAY - timedelta(days=45), time(), tzinfo=UTC)
    # ... rollups remain ...
    assert set(Rollup.objects.values_list("id", flat=True)) == w["rollups"]
    # ... protected rows survive (in the DEFAULT partition): quiet's latest, busy's incident evidence ...
    survivors = {w["quiet"][55].id, w["rows"]["busy"][50].id, w["rows"]["busy"][49].id}
    assert report.rows_kept == 3
    assert set(CheckResult.objects.filter(due_at__lt=cutoff).values_list("id", flat=True)) == survivors
    assert {home(i) for i in survivors} == {DEFAULT_PARTITION}
    assert StatusChange.objects.filter(result_id__in=survivors).count() == 2
    # ... and no live row was touched.
    assert live_before <= set(CheckResult.objects.values_list("id", flat=True))
    # The batched purge then applies the shorter retention (30 days) inside live partitions and
    # still keeps the survivors; a second drop finds nothing to do.
    retention_purge(now=NOW, force=True)
    left = set(CheckResult.objects.values_list("id", flat=True))
    assert survivors <= left
    assert not left & {r.id for name in ("busy", "other") for d, r in w["rows"][name].items() if 30 < d < 45}
    assert partitions_drop_expired(now=NOW, force=True).dropped == []


def test_partitions_not_yet_rolled_up_are_never_dropped(alice_org) -> None:
    world(alice_org, built_days_ago=50)  # hourly rollups stalled 50 days ago
    report = partitions_drop_expired(now=NOW, force=True)
    # Only days ending a full day (ROLLUP_MARGIN) before built_until may go.
    assert report.dropped == [partition_name(TODAY - timedelta(days=d)) for d in range(60, 51, -1)]
    assert table_exists(partition_name(TODAY - timedelta(days=51)))


def test_without_any_rollup_built_nothing_is_dropped(alice_org) -> None:
    world(alice_org)
    RollupProgress.objects.all().delete()
    assert partitions_drop_expired(now=NOW, force=True).dropped == []
    assert table_exists(partition_name(TODAY - timedelta(days=60)))


def test_data_02_partition_drop_refuses_zero_retention_and_drops_nothing(alice_org) -> None:
    world(alice_org)
    Organization.objects.filter(id=alice_org.id).update(result_retention_days=0)
    with pytest.raises(RetentionGuardError):
        partitions_drop_expired(now=NOW, force=True)
    assert table_exists(partition_name(TODAY - timedelta(days=60)))


def test_data_02_dropping_more_than_half_the_rows_needs_force_and_dry_run_only_reports(alice_org) -> None:
    world(alice_org, longest=3)
    Organization.objects.filter(id=alice_org.id).update(result_retention_days=3)  # days 60..4 may go
    count = CheckResult.objects.count()
    dry = partitions_manage(now=NOW, dry_run=True)
    assert len(dry.dropped) == 57 and dry.rows_dropped > count / 2
    with pytest.raises(RetentionGuardError, match="more than half"):
        partitions_drop_expired(now=NOW)
    with pytest.raises(CommandError, match="more than half"):
        call_command("manage_partitions")
    with pytest.raises(RetentionGuardError):
        manage_partitions_task.apply().get()  # the beat task never forces
    assert CheckResult.objects.count() == count
    out = StringIO()
    call_command("manage_partitions", "--force", stdout=out)
    assert "dropped 57 partitions" in out.getvalue()


def test_the_daily_task_creates_partitions_ahead_and_drops_the_expired_ones(alice_org, settings) -> None:
    world(alice_org, longest=58)
    settings.CHECKS_PARTITION_DAYS_AHEAD = 10
    done = manage_partitions_task.apply().get()
    assert done["created"] >= 3  # days 8..10 ahead (0..7 came with the migration or the world)
    assert done["dropped"] == 2  # days 60 and 59 end at or before now - 58 days
    assert table_exists(partition_name(timezone.now().date() + timedelta(days=10)))


@pytest.mark.django_db(transaction=True)
def test_migrate_creates_the_partitions_ahead(settings) -> None:
    settings.CHECKS_PARTITION_DAYS_AHEAD = 7
    last = partition_name(timezone.now().date() + timedelta(days=7))
    partitions_create(now=timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {last}")
    assert not table_exists(last)
    call_command("migrate", verbosity=0)  # nothing to migrate; the post_migrate hook still runs
    assert table_exists(last)


@pytest.mark.django_db(transaction=True)
def test_closed_day_partitions_are_compacted_once_with_their_indexes_valid(alice_org: Organization) -> None:
    now = timezone.now()
    partitions_create(now=now)
    m = make_monitor(alice_org, "a")
    yesterday = partition_name(now.date() - timedelta(days=1))
    for minute in range(50):
        result(m, now - timedelta(days=1, minutes=minute))
    with transaction.atomic():
        assert partitions_compact(now=now) == []  # REINDEX CONCURRENTLY needs autocommit
    done = partitions_compact(now=now)
    assert yesterday in done and partition_name(now.date()) not in done  # today is still being written
    assert partitions_compact(now=now) == []  # once
    with connection.cursor() as cursor:
        cursor.execute("SELECT bool_and(indisvalid), count(*) FROM pg_index WHERE indrelid = %s::regclass", [yesterday])
        assert cursor.fetchone() == (True, 2)  # the slot index and the BRIN index on id (checks/0010)
    assert CheckResult.objects.filter(monitor=m).count() == 50


def test_a_partition_that_cannot_be_created_is_logged_and_the_others_are_still_made(caplog) -> None:
    later = NOW + timedelta(days=60)
    taken = partition_name(later.date())
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {taken} (id bigint)")  # the name is in use (e.g. another process won)
    with caplog.at_level("WARNING", logger="checks.partitions"):
        created = partitions_create(now=later, days_ahead=2)
    assert taken not in created and len(created) == 3  # yesterday, +1, +2 of `later`
    assert any("partition not created" in r.getMessage() for r in caplog.records)
