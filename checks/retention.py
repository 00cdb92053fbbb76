"""Retention: raw results and heartbeat pings past each organisation's retention, rollups past
CHECKS_ROLLUP_RETENTION_DAYS, deleted in small batches with guard rails (RELIABILITY DATA-01..03).

Never deleted, whatever their age:
- the latest result of each monitor (by started_at, then id: what checks.selectors shows first);
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
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery

from accounts.models import Organization
from checks.models import CheckResult, HeartbeatPing, Rollup, RollupProgress, StatusChange

logger = logging.getLogger(__name__)

STATUS_CHANGE_KEEP_DAYS = 93
HEARTBEAT_PINGS_KEPT = 100
RECOVERED_STATES = ("up", "degraded")  # alerts.services.outbox.RECOVERED
MIN_AGE = timedelta(days=1)  # no cutoff may be later than now - 1 day
MAX_SHARE_WITHOUT_FORCE = 0.5


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


def _refuse(reason: str) -> RetentionGuardError:
    # The one place this layer logs: a refused purge is what an operator must hear about.
    logger.error("retention purge refused reason=%s", reason)
    return RetentionGuardError(reason)


def _cutoff(*, now: datetime, days: int | None, what: str) -> datetime:
    if days is None or days <= 0:
        raise _refuse(f"retention for {what} is missing or not positive ({days!r})")
    cutoff = now - timedelta(days=days)
    if cutoff > now - MIN_AGE:
        raise _refuse(f"cutoff for {what} ({cutoff.isoformat()}) is later than now - 1 day")
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


def result_candidates(*, organization_id: int, cutoff: datetime, now: datetime) -> QuerySet[CheckResult]:
    """Results of one organisation older than cutoff that may go."""
    newer = CheckResult.objects.filter(monitor_id=OuterRef("monitor_id")).filter(
        Q(started_at__gt=OuterRef("started_at")) | Q(started_at=OuterRef("started_at"), id__gt=OuterRef("id"))
    )
    return (
        CheckResult.objects.filter(monitor__organization_id=organization_id, started_at__lt=cutoff)
        .filter(Exists(newer))  # not the monitor's latest
        .exclude(id__in=protected_result_ids(now=now))
        .order_by()
    )


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


def _rolled_up_until() -> datetime | None:
    """Raw results before this are in hourly rollups (None: rollups have not been built yet)."""
    return RollupProgress.objects.filter(period="hour").values_list("built_until", flat=True).first()


def _rollup_plan(*, now: datetime) -> tuple[type[models.Model], list[QuerySet]]:
    """Rollups older than CHECKS_ROLLUP_RETENTION_DAYS."""
    cutoff = _cutoff(now=now, days=settings.CHECKS_ROLLUP_RETENTION_DAYS, what="rollups")
    # One queryset per period, so each is a range scan of rollup_period_time_idx.
    return Rollup, [
        Rollup.objects.filter(period=period, bucket_start__lt=cutoff).order_by() for period in ("hour", "day")
    ]


def _plans(*, now: datetime) -> list[tuple[type[models.Model], list[QuerySet]]]:
    """Every table's candidate querysets; raises RetentionGuardError before anything is deleted."""
    results: list[QuerySet] = []
    pings: list[QuerySet] = []
    rolled_up_until = _rolled_up_until()
    for organization_id, days in Organization.objects.order_by("id").values_list("id", "result_retention_days"):
        cutoff = _cutoff(now=now, days=days, what=f"organization {organization_id}")
        # A raw result not yet counted in an hourly rollup is kept until it is (a stalled rollup
        # build must not turn into lost history).
        results_cutoff = cutoff if rolled_up_until is None else min(cutoff, rolled_up_until)
        results.append(result_candidates(organization_id=organization_id, cutoff=results_cutoff, now=now))
        pings.append(ping_candidates(organization_id=organization_id, cutoff=cutoff))
    return [(CheckResult, results), (HeartbeatPing, pings), _rollup_plan(now=now)]


def _delete_in_batches(*, model: type[models.Model], candidates: QuerySet, batch_size: int) -> int:
    deleted = 0
    while True:
        # One transaction per batch: locks are held for one batch only, and a kill loses at most it.
        with transaction.atomic():
            ids = list(candidates.values_list("id", flat=True)[:batch_size])
            if not ids:
                return deleted
            _, per_model = model.objects.filter(id__in=ids).delete()
            deleted += per_model.get(model._meta.label, 0)


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
    for model, querysets in plans:
        table = model._meta.db_table
        purge = TablePurge(table=table, total=model.objects.count(), to_delete=sum(qs.count() for qs in querysets))
        report.tables[table] = purge
        # A dry run reports the share instead of refusing: it is how an operator looks before --force.
        if purge.needs_force and not force and not dry_run:
            raise _refuse(f"{table}: {purge.to_delete} of {purge.total} rows is more than half the table (use --force)")
    if dry_run:
        logger.info("retention purge dry run %s", "; ".join(report.lines()))
        return report
    for model, querysets in plans:
        purge = report.tables[model._meta.db_table]
        for candidates in querysets:
            purge.deleted += _delete_in_batches(model=model, candidates=candidates, batch_size=batch_size)
    logger.info("retention purge done %s", "; ".join(report.lines()))
    return report
