"""Day partitions of checks_checkresult on PostgreSQL (created by checks/migrations/0008).

The table is range-partitioned on due_at, one partition per UTC day named checks_checkresult_pYYYYMMDD,
plus checks_checkresult_default for rows no day partition covers. Why due_at and not started_at: a
unique constraint on a partitioned table must contain the partition key, and the slot constraint
(monitor, region, due_at) is what makes a redelivered check store nothing twice (CEL-02).

partitions_manage (beat, daily, and after every migrate) does two things:
- creates the partitions of yesterday, today and CHECKS_PARTITION_DAYS_AHEAD days ahead. A new
  partition is created as a plain table and ATTACHed, which locks the parent only in SHARE UPDATE
  EXCLUSIVE mode (inserts go on); rows that landed in the DEFAULT partition for that day (the task
  did not run for a while) are moved into it first;
- drops the day partitions wholly older than the *longest* retention of any organisation, once
  every hour in them is rolled up. Shorter per-organisation retentions are enforced inside live
  partitions by checks.retention's batched deletes. The rows retention never deletes (a monitor's
  latest result, results that status changes point at: checks.retention's docstring) survive:
  within one transaction the partition is DETACHed, those rows are inserted again into the parent
  (where they land in the DEFAULT partition) and the detached table is DROPped.

- rebuilds (REINDEX CONCURRENTLY) the indexes of the last closed days once: written in monitor
  order, they are half empty until then (partitions_compact).

On SQLite (and on a PostgreSQL table not yet partitioned) every function here does nothing.
DDL runs with lock_timeout PARTITION_LOCK_TIMEOUT: when a long transaction holds the table, the
step fails fast and the next run retries, instead of queueing every writer behind it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import OperationalError, ProgrammingError, connection, transaction
from django.db.models import Max, Min, OuterRef, Subquery

from accounts.models import Organization
from checks.models import CheckResult
from checks.retention import (
    RetentionGuardError,
    protected_result_ids,
    retention_cutoff,
    retention_refusal,
    rolled_up_until,
)
from monitors.models import Monitor

logger = logging.getLogger(__name__)

PARENT = "checks_checkresult"
DEFAULT_PARTITION = f"{PARENT}_default"
_NAME = re.compile(rf"^{PARENT}_p(\d{{8}})$")
DAY = timedelta(days=1)
# A result starts at most CHECKS_MISSED_AFTER_SECONDS plus one task's run after its due_at; a day
# this far before RollupProgress.built_until has every result of it in the hourly rollups.
ROLLUP_MARGIN = timedelta(days=1)
PARTITION_LOCK_TIMEOUT = "2s"
COMPACTED = "compacted"  # table comment of a day partition whose indexes were rebuilt after its day
COMPACT_DAYS_BACK = 3
MAX_SHARE_WITHOUT_FORCE = 0.5


@dataclass(frozen=True)
class DayPartition:
    name: str
    day: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.day, time(), tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return self.start + DAY


@dataclass
class PartitionReport:
    dry_run: bool = False
    created: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    compacted: list[str] = field(default_factory=list)
    rows_dropped: int = 0  # rows of the dropped partitions (estimated from statistics when analysed)
    rows_kept: int = 0  # protected rows moved to the DEFAULT partition
    note: str = ""

    def lines(self) -> list[str]:
        verb = "would drop" if self.dry_run else "dropped"
        lines = [
            f"created {len(self.created)} partitions" + (f": {', '.join(self.created)}" if self.created else ""),
            f"{verb} {len(self.dropped)} partitions" + (f": {', '.join(self.dropped)}" if self.dropped else ""),
        ]
        if self.compacted:
            lines.append(f"compacted {len(self.compacted)} partitions: {', '.join(self.compacted)}")
        if not self.dry_run and self.dropped:
            lines.append(f"kept {self.rows_kept} protected rows (now in {DEFAULT_PARTITION})")
        if self.note:
            lines.append(self.note)
        return lines


def partition_name(day: date) -> str:
    return f"{PARENT}_p{day:%Y%m%d}"


def partitioning_enabled() -> bool:
    """True on PostgreSQL once checks/0008 has turned checks_checkresult into a partitioned table."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [PARENT])
        row = cursor.fetchone()
    return row is not None and row[0] == "p"


def partition_list() -> list[DayPartition]:
    """The day partitions attached to checks_checkresult, oldest first (not the DEFAULT one)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [PARENT],
        )
        names = [name for (name,) in cursor.fetchall()]
    days = []
    for name in names:
        if match := _NAME.match(name):
            days.append(
                DayPartition(name=name, day=datetime.strptime(match.group(1), "%Y%m%d").replace(tzinfo=UTC).date())
            )
    return sorted(days, key=lambda p: p.day)


def _bounds(day: date) -> str:
    # DDL takes no bind parameters; both literals come from a date object.
    return f"FROM ('{day.isoformat()} 00:00:00+00') TO ('{(day + DAY).isoformat()} 00:00:00+00')"


def partition_create_day(*, day: date) -> str:
    """Create and attach the partition of one UTC day (rows of that day in DEFAULT move into it); returns its name."""
    name = partition_name(day)
    start = datetime.combine(day, time(), tzinfo=UTC)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{PARTITION_LOCK_TIMEOUT}'")
        cursor.execute(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        # ATTACH checks that the DEFAULT partition holds no row of this day: move any there first.
        cursor.execute(
            f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE due_at >= %s AND due_at < %s RETURNING *) "  # noqa: S608
            f"INSERT INTO {name} SELECT * FROM moved",
            [start, start + DAY],
        )
        cursor.execute(f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES {_bounds(day)}")
    return name


def partitions_create(*, now: datetime, days_ahead: int | None = None) -> list[str]:
    """Create the missing day partitions from yesterday to days_ahead days after today; returns their names."""
    if not partitioning_enabled():
        return []
    if days_ahead is None:
        days_ahead = settings.CHECKS_PARTITION_DAYS_AHEAD
    existing = {p.day for p in partition_list()}
    today = now.astimezone(UTC).date()
    created = []
    for offset in range(-1, days_ahead + 1):
        day = today + timedelta(days=offset)
        if day in existing:
            continue
        try:
            created.append(partition_create_day(day=day))
        except (OperationalError, ProgrammingError) as exc:
            # Created meanwhile by another process (beat and a deploy's migrate), or the table was
            # busy past the lock_timeout: the next run (daily, and every migrate) tries again.
            logger.warning("partition not created day=%s error=%s", day.isoformat(), exc)
    if created:
        logger.info("partitions created names=%s", ",".join(created))
    return created


def drop_cutoff(*, now: datetime) -> datetime | None:
    """Day partitions ending at or before this may be dropped; None when none may (no organisation,
    or no hourly rollups built yet). Raises RetentionGuardError on a missing or too short retention."""
    bounds = Organization.objects.aggregate(shortest=Min("result_retention_days"), longest=Max("result_retention_days"))
    if bounds["longest"] is None:
        return None  # no organisation: no monitor, so no result either
    # An organisation with a retention of 0 or none is a configuration error: refuse, as the purge does.
    retention_cutoff(now=now, days=bounds["shortest"], what="the shortest organisation retention")
    cutoff = retention_cutoff(now=now, days=bounds["longest"], what="the longest organisation retention")
    built_until = rolled_up_until()
    if built_until is None:
        return None
    return min(cutoff, built_until - ROLLUP_MARGIN)


EXACT_COUNT_BELOW = 100_000  # rows by planner statistics; a partition estimated smaller is counted exactly


def _estimated_rows(names: list[str]) -> int:
    """Rows of these partitions: planner statistics for big ones, an exact count for small or never analysed ones."""
    if not names:
        return 0
    total = 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%s)", [names])
        for name, estimate in cursor.fetchall():
            if estimate >= EXACT_COUNT_BELOW:
                total += int(estimate)
            else:
                cursor.execute(f"SELECT count(*) FROM {name}")  # noqa: S608 - a name from pg_class
                total += cursor.fetchone()[0]
    return total


def _protected_ids(*, now: datetime) -> list[int]:
    """Ids retention never deletes: each monitor's latest result (one index probe per monitor on
    the slot index, backwards) and results that status changes still need."""
    latest = CheckResult.objects.filter(monitor_id=OuterRef("id")).order_by("-due_at", "-id").values("id")[:1]
    ids = set(Monitor.objects.annotate(latest=Subquery(latest)).values_list("latest", flat=True))
    ids |= set(protected_result_ids(now=now).values_list("result_id", flat=True))
    ids.discard(None)
    return sorted(ids)


def _drop_day(partition: DayPartition, *, protected: list[int]) -> int:
    """Detach, keep the protected rows, drop; one transaction. Returns the rows kept."""
    with transaction.atomic(), connection.cursor() as cursor:
        # DROP refuses a table with deferred foreign-key checks still pending (rows inserted earlier
        # in this same transaction, as in a test): run them now. A no-op for the beat task.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        # Only the protected ids that are in this partition travel under the lock below.
        cursor.execute(f"SELECT id FROM {partition.name} WHERE id = ANY(%s)", [protected])  # noqa: S608
        keep = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SET LOCAL lock_timeout = '{PARTITION_LOCK_TIMEOUT}'")
        # DETACH takes ACCESS EXCLUSIVE on the parent until commit (CONCURRENTLY is not allowed
        # next to a DEFAULT partition): the rest of this transaction is kept short.
        cursor.execute(f"ALTER TABLE {PARENT} DETACH PARTITION {partition.name}")
        cursor.execute(
            f"INSERT INTO {PARENT} SELECT p.* FROM {partition.name} p WHERE p.id = ANY(%s) "  # noqa: S608
            "AND EXISTS (SELECT 1 FROM monitors_monitor m WHERE m.id = p.monitor_id)",
            [keep],
        )
        kept = cursor.rowcount
        cursor.execute(f"DROP TABLE {partition.name}")
    return kept


def partitions_drop_expired(*, now: datetime, dry_run: bool = False, force: bool = False) -> PartitionReport:
    """Drop the day partitions past every organisation's retention and rolled up (see the module docstring).

    Raises RetentionGuardError, dropping nothing, when a retention is missing or not positive, the
    cutoff is later than now - 1 day, or (without force) the drop would remove more than half the rows.
    """
    report = PartitionReport(dry_run=dry_run)
    if not partitioning_enabled():
        report.note = "checks_checkresult is not partitioned here: retention uses batched deletes only"
        return report
    cutoff = drop_cutoff(now=now)
    if cutoff is None:
        report.note = "nothing may be dropped yet (no organisation, or no hourly rollups built)"
        return report
    expired = [p for p in partition_list() if p.end <= cutoff]
    names = [p.name for p in expired]
    report.rows_dropped = _estimated_rows(names)
    if expired and not force and not dry_run:
        total = _estimated_rows([p.name for p in partition_list()] + [DEFAULT_PARTITION])
        if report.rows_dropped > total * MAX_SHARE_WITHOUT_FORCE:
            raise retention_refusal(
                f"{PARENT}: dropping {len(expired)} partitions removes about {report.rows_dropped} of "
                f"{total} rows, more than half the table (use --force)"
            )
    if dry_run or not expired:
        report.dropped = names
        return report
    protected = _protected_ids(now=now)
    for partition in expired:
        report.rows_kept += _drop_day(partition, protected=protected)
        report.dropped.append(partition.name)
        logger.info("partition dropped name=%s", partition.name)
    return report


def partitions_compact(*, now: datetime, days_back: int = COMPACT_DAYS_BACK) -> list[str]:
    """REINDEX CONCURRENTLY each closed day partition of the last days_back days once; returns their names.

    Results arrive in monitor order, not key order, so the slot index of a day being written fills
    its pages about half (measured: 66 MB per million rows); rebuilt once the day is over it takes
    41 MB (bench.storage measures the whole table). CONCURRENTLY:
    inserts and reads go on meanwhile. A table comment marks a partition done. Needs autocommit
    (REINDEX CONCURRENTLY cannot run in a transaction): does nothing inside one.
    """
    if connection.in_atomic_block or not partitioning_enabled():
        return []
    today = now.astimezone(UTC).date()
    done = []
    with connection.cursor() as cursor:
        for partition in partition_list():
            if not today - timedelta(days=days_back) <= partition.day < today:
                continue
            cursor.execute("SELECT obj_description(%s::regclass, 'pg_class')", [partition.name])
            if cursor.fetchone()[0] == COMPACTED:
                continue
            cursor.execute(f"REINDEX TABLE CONCURRENTLY {partition.name}")
            cursor.execute(f"COMMENT ON TABLE {partition.name} IS '{COMPACTED}'")
            done.append(partition.name)
    if done:
        logger.info("partitions compacted names=%s", ",".join(done))
    return done


def partitions_manage(*, now: datetime, dry_run: bool = False, force: bool = False) -> PartitionReport:
    """Create the partitions ahead, drop the expired ones, compact the last closed days; the daily beat task."""
    created = [] if dry_run else partitions_create(now=now)
    report = partitions_drop_expired(now=now, dry_run=dry_run, force=force)
    report.created = created
    report.compacted = [] if dry_run else partitions_compact(now=now)
    return report


__all__ = [
    "DEFAULT_PARTITION",
    "PARENT",
    "DayPartition",
    "PartitionReport",
    "RetentionGuardError",
    "drop_cutoff",
    "partition_create_day",
    "partition_list",
    "partition_name",
    "partitioning_enabled",
    "partitions_compact",
    "partitions_create",
    "partitions_drop_expired",
    "partitions_manage",
]
