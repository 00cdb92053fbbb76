"""Retention: raw results and heartbeat pings past each organisation's retention, rollups past
CHECKS_ROLLUP_RETENTION_DAYS, deleted in small batches with guard rails (RELIABILITY DATA-01..03).

Never deleted, whatever their age:
- the latest result of each monitor (by due_at, then id: what checks.selectors shows first);
- results referenced by a StatusChange from the last 93 days (healthchecks keeps flips that long:
  downtime reports need the current month and the two before it);
- results referenced by any StatusChange since the monitor's last *processed* recovery (a change
  to up or degraded), inclusive. alerts opens an incident on a change to DOWN and resolves it on
  the next recovery it processes, in order, per monitor; so the change that opened a still-open
  incident (Incident.opened_by) is always in that set, even when the incident has been open for
  more than 93 days. checks cannot import alerts (DESIGN import direction), and this rule needs
  only checks' own rows;
- results not yet rolled up (started at or after RollupProgress.built_until for hours);
- the newest HEARTBEAT_PINGS_KEPT pings of each monitor (a weekly job with 7-day retention still
  shows its recent pings, as healthchecks keeps the last N pings per check).

StatusChange rows themselves are not purged (small, and alerts' incidents point at them).
Each batch selects at most batch_size ids and deletes them in its own transaction, so a run
killed part-way leaves only whole batches done and the next run simply carries on.

On PostgreSQL, whole day partitions older than every organisation's retention are dropped by
checks.partitions (same protected rows, same guard rails); this module deletes the rest: shorter
per-organisation retentions inside live partitions, the DEFAULT partition, and SQLite's plain table.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery

from accounts.models import Organization
from checks.models import CheckResult, HeartbeatPing, Rollup, RollupProgress, StatusChange
from checks.result_window import CLOCK_SKEW, started_before
from monitors.models import Monitor

logger = logging.getLogger(__name__)

STATUS_CHANGE_KEEP_DAYS = 93
HEARTBEAT_PINGS_KEPT = 100
RECOVERED_STATES = ("up", "degraded")  # alerts.services.outbox.RECOVERED
MIN_AGE = timedelta(days=1)  # no cutoff may be later than now - 1 day
MAX_SHARE_WITHOUT_FORCE = 0.5
KEEP_CHUNK = 5000  # ids per IN (...) when counting the kept rows


class RetentionGuardError(Exception):
    """The purge refused to run: nothing was deleted. The message says why."""


@dataclass
class TablePurge:
    table: str
    total: int  # rows in the whole table before the run
    to_delete: int  # rows past retention and not protected
    deleted: int = 0

    @property
    def needs_force(self) -> bool:
        return self.to_delete > self.total * MAX_SHARE_WITHOUT_FORCE


@dataclass
class PurgeReport:
    now: datetime
    dry_run: bool
    tables: dict[str, TablePurge] = field(default_factory=dict)

    def lines(self) -> list[str]:
        verb = "would delete" if self.dry_run else "deleted"
        return [
            f"{t.table}: {verb} {t.to_delete if self.dry_run else t.deleted} of {t.total} rows"
            + (" (more than half: needs --force)" if self.dry_run and t.needs_force else "")
            for t in self.tables.values()
        ]


def retention_refusal(reason: str) -> RetentionGuardError:
    # The one place this layer logs: a refused purge is what an operator must hear about.
    logger.error("retention purge refused reason=%s", reason)
    return RetentionGuardError(reason)


def retention_cutoff(*, now: datetime, days: int | None, what: str) -> datetime:
    if days is None or days <= 0:
        raise retention_refusal(f"retention for {what} is missing or not positive ({days!r})")
    cutoff = now - timedelta(days=days)
    if cutoff > now - MIN_AGE:
        raise retention_refusal(f"cutoff for {what} ({cutoff.isoformat()}) is later than now - 1 day")
    return cutoff


def protected_result_ids(*, now: datetime) -> QuerySet[StatusChange]:
    """result_id of every StatusChange whose result must be kept (see the module docstring)."""
    last_recovery = (
        StatusChange.objects.filter(
            monitor_id=OuterRef("monitor_id"), new_state__in=RECOVERED_STATES, processed_at__isnull=False
        )
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    return (
        StatusChange.objects.filter(result__isnull=False)  # NOT IN with a NULL would match nothing
        .annotate(last_recovery_at=Subquery(last_recovery))
        .filter(
            Q(created_at__gte=now - timedelta(days=STATUS_CHANGE_KEEP_DAYS))
            | Q(last_recovery_at__isnull=True)
            | Q(created_at__gte=F("last_recovery_at"))
        )
        .order_by()
        .values("result_id")
    )


class ResultCandidates:
    """Results of one organisation started before cutoff that may go, read monitor by monitor.

    Each read is a range scan of the slot index (monitor_id, due_at, region) bounded by
    due_at < cutoff + CLOCK_SKEW (checks.result_window; pruned to the day partitions before it),
    resumed after the last (due_at, id) seen: the cost stays proportional to the rows deleted however
    large the table is, where one query over the whole organisation would rebuild its full
    candidate list (millions of rows on a big install) for every batch.
    """

    model = CheckResult

    def __init__(self, *, organization_id: int, cutoff: datetime, protected: frozenset[int]) -> None:
        self.organization_id, self.cutoff, self.protected = organization_id, cutoff, protected

    def _monitors(self) -> list[tuple[int, int | None]]:
        """(monitor id, id of its latest result): one index probe per monitor."""
        latest = CheckResult.objects.filter(monitor_id=OuterRef("id")).order_by("-due_at", "-id").values("id")[:1]
        return list(
            Monitor.objects.filter(organization_id=self.organization_id)
            .annotate(latest=Subquery(latest))
            .order_by("id")
            .values_list("id", "latest")
        )

    def _old(self) -> QuerySet[CheckResult]:
        return CheckResult.objects.filter(
            monitor__organization_id=self.organization_id,
            started_at__lt=self.cutoff,
            due_at__lt=self.cutoff + CLOCK_SKEW,  # checks.result_window: prunes the newer day partitions
        )

    def count(self) -> int:
        keep = sorted({latest for _, latest in self._monitors() if latest is not None} | self.protected)
        kept = sum(self._old().filter(id__in=keep[i : i + KEEP_CHUNK]).count() for i in range(0, len(keep), KEEP_CHUNK))
        return self._old().count() - kept

    def batches(self, size: int) -> Iterator[list[tuple[int, datetime]]]:
        """Lists of at most `size` (id, due_at) to delete, monitor after monitor."""
        batch: list[tuple[int, datetime]] = []
        for monitor_id, latest in self._monitors():
            rows = CheckResult.objects.filter(started_before(monitor_id=monitor_id, cutoff=self.cutoff)).order_by(
                "due_at", "id"
            )
            after: tuple[datetime, int] | None = None
            while True:
                page = rows
                if after is not None:
                    page = rows.filter(Q(due_at__gt=after[0]) | Q(due_at=after[0], id__gt=after[1]))
                found = list(page.values_list("id", "due_at")[:size])
                batch += [(rid, due) for rid, due in found if rid != latest and rid not in self.protected]
                while len(batch) >= size:
                    yield batch[:size]
                    batch = batch[size:]
                if len(found) < size:
                    break
                after = (found[-1][1], found[-1][0])
        if batch:
            yield batch

    def delete(self, rows: list[tuple[int, datetime]]) -> int:
        """The batch's rows, one DELETE ... WHERE id IN (...) per UTC day of due_at, after unlinking status changes.

        Each statement's due_at range is one day: PostgreSQL prunes it to one day partition (and
        its BRIN index on id, checks/0010); one range over the whole batch would probe every
        partition it spans for every id. StatusChange.result has no database constraint
        (checks.partitions), so its SET_NULL is done here as Django's collector would, and the rows go
        in plain DELETEs (_raw_delete: no collector, no per-row signals).
        """
        StatusChange.objects.filter(result_id__in=[rid for rid, _ in rows]).update(result_id=None)
        by_day: dict[date, list[int]] = {}
        for rid, due in rows:
            by_day.setdefault(due.astimezone(UTC).date(), []).append(rid)
        deleted = 0
        for day, ids in by_day.items():
            start = datetime.combine(day, time(), tzinfo=UTC)
            batch = CheckResult.objects.filter(id__in=ids, due_at__gte=start, due_at__lt=start + timedelta(days=1))
            deleted += batch._raw_delete(batch.db)
        return deleted


class QuerysetCandidates:
    """Rows of a queryset, deleted in batches that walk the primary key upwards (keyset)."""

    def __init__(self, queryset: QuerySet) -> None:
        self.model, self.queryset = queryset.model, queryset

    def count(self) -> int:
        return self.queryset.count()

    def batches(self, size: int) -> Iterator[list[int]]:
        after = 0
        while ids := list(self.queryset.filter(id__gt=after).order_by("id").values_list("id", flat=True)[:size]):
            yield ids
            after = ids[-1]

    def delete(self, ids: list[int]) -> int:
        _, per_model = self.model.objects.filter(id__in=ids).delete()
        return per_model.get(self.model._meta.label, 0)


Candidates = ResultCandidates | QuerysetCandidates


def ping_candidates(*, organization_id: int, cutoff: datetime) -> QuerySet[HeartbeatPing]:
    """Pings of one organisation older than cutoff and behind each monitor's newest HEARTBEAT_PINGS_KEPT."""
    last_kept = HeartbeatPing.objects.filter(monitor_id=OuterRef("monitor_id")).order_by("-received_at", "-id")[
        HEARTBEAT_PINGS_KEPT - 1 : HEARTBEAT_PINGS_KEPT
    ]
    return (
        HeartbeatPing.objects.filter(monitor__organization_id=organization_id, received_at__lt=cutoff)
        .annotate(
            last_kept_at=Subquery(last_kept.values("received_at")),
            last_kept_id=Subquery(last_kept.values("id")),
        )
        .filter(Q(received_at__lt=F("last_kept_at")) | Q(received_at=F("last_kept_at"), id__lt=F("last_kept_id")))
        .order_by()
    )


def rolled_up_until() -> datetime | None:
    """Raw results before this are in hourly rollups (None: rollups have not been built yet)."""
    return RollupProgress.objects.filter(period="hour").values_list("built_until", flat=True).first()


def _rollup_plan(*, now: datetime) -> tuple[type[models.Model], list[Candidates]]:
    """Rollups older than CHECKS_ROLLUP_RETENTION_DAYS."""
    cutoff = retention_cutoff(now=now, days=settings.CHECKS_ROLLUP_RETENTION_DAYS, what="rollups")
    # One queryset per period, so each is a range scan of rollup_period_time_idx.
    return Rollup, [
        QuerysetCandidates(Rollup.objects.filter(period=period, bucket_start__lt=cutoff)) for period in ("hour", "day")
    ]


def _plans(*, now: datetime) -> list[tuple[type[models.Model], list[Candidates]]]:
    """Every table's candidates; raises RetentionGuardError before anything is deleted."""
    results: list[Candidates] = []
    pings: list[Candidates] = []
    built_until = rolled_up_until()
    protected = frozenset(protected_result_ids(now=now).values_list("result_id", flat=True))
    for organization_id, days in Organization.objects.order_by("id").values_list("id", "result_retention_days"):
        cutoff = retention_cutoff(now=now, days=days, what=f"organization {organization_id}")
        # A raw result not yet counted in an hourly rollup is kept until it is (a stalled rollup
        # build must not turn into lost history).
        results_cutoff = cutoff if built_until is None else min(cutoff, built_until)
        results.append(ResultCandidates(organization_id=organization_id, cutoff=results_cutoff, protected=protected))
        pings.append(QuerysetCandidates(ping_candidates(organization_id=organization_id, cutoff=cutoff)))
    return [(CheckResult, results), (HeartbeatPing, pings), _rollup_plan(now=now)]


def _delete_in_batches(*, candidates: Candidates, batch_size: int) -> int:
    """One transaction per batch (DATA-03): locks are held for one batch only, and a run killed
    part-way leaves whole batches done; the next run finds what is left and converges."""
    deleted = 0
    for batch in candidates.batches(batch_size):
        with transaction.atomic():
            deleted += candidates.delete(batch)
    return deleted


def retention_purge(
    *, now: datetime, dry_run: bool = False, force: bool = False, batch_size: int = 5000
) -> PurgeReport:
    """Delete raw results, heartbeat pings and rollups past retention; returns what was (or would be) deleted.

    Raises RetentionGuardError, deleting nothing, when a retention is missing or not positive, a
    cutoff is later than now - 1 day, or (without force) a table would lose more than half its rows.
    Idempotent: a second run, or one after a killed run, deletes only what is still past retention.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    report = PurgeReport(now=now, dry_run=dry_run)
    plans = _plans(now=now)
    for model, candidates in plans:
        table = model._meta.db_table
        purge = TablePurge(table=table, total=model.objects.count(), to_delete=sum(c.count() for c in candidates))
        report.tables[table] = purge
        # A dry run reports the share instead of refusing: it is how an operator looks before --force.
        if purge.needs_force and not force and not dry_run:
            raise retention_refusal(
                f"{table}: {purge.to_delete} of {purge.total} rows is more than half the table (use --force)"
            )
    if dry_run:
        logger.info("retention purge dry run %s", "; ".join(report.lines()))
        return report
    for model, candidates in plans:
        purge = report.tables[model._meta.db_table]
        for scope in candidates:
            purge.deleted += _delete_in_batches(candidates=scope, batch_size=batch_size)
    logger.info("retention purge done %s", "; ".join(report.lines()))
    return report
