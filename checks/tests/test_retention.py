"""Retention (checks.retention): DATA-01 oracle, DATA-02 guard rails and dry run, the
"retention proved" bar (rollups remain, live data untouched), idempotent re-runs."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Organization
from checks.models import CheckResult, HeartbeatPing, Rollup, RollupProgress, StatusChange
from checks.retention import (
    HEARTBEAT_PINGS_KEPT,
    STATUS_CHANGE_KEEP_DAYS,
    RetentionGuardError,
    retention_purge,
)
from checks.tasks import purge_results_task
from monitors.models import Monitor

pytestmark = pytest.mark.django_db

# Module import time: the task and the command read the real clock, seconds later at most.
T = timezone.now().replace(microsecond=0)
STATES = ["up", "down", "degraded", "paused", "pending"]


def organization(name: str, days: int) -> Organization:
    return Organization.objects.create(name=name, result_retention_days=days)


def monitor(org: Organization, n: int) -> Monitor:
    return Monitor.objects.create(organization=org, name=f"m{n}", url=f"http://127.0.0.1:9/{n}")


def results(m: Monitor, times: list[datetime]) -> list[CheckResult]:
    rows = [CheckResult(monitor=m, due_at=t, started_at=t, ok=True, latency_ms=10) for t in sorted(set(times))]
    return CheckResult.objects.bulk_create(rows)


@dataclass
class World:
    organizations: list[Organization]
    rolled_up_until: datetime | None


def build_world(rng: random.Random) -> World:
    """Three organisations (7, 30, 90 days), monitors with results up to 150 days old, status
    changes (some old, some unprocessed, recoveries), pings around the keep-100 line, rollups."""
    orgs = [organization(f"org{days}", days) for days in (7, 30, 90)]
    n = 0
    for org in orgs:
        for _ in range(rng.randint(1, 3)):
            n += 1
            m = monitor(org, n)
            span = rng.choice([3, 20, 150])  # some monitors have only old results: their latest is kept
            newest = rng.choice([0, 10, 60, 120])
            times = [T - timedelta(days=newest, minutes=rng.randint(0, span * 1440)) for _ in range(rng.randint(1, 60))]
            stored = results(m, times)
            changes = []
            for result in rng.sample(stored, k=min(len(stored), rng.randint(0, 8))):
                processed = rng.random() < 0.7
                changes.append(
                    StatusChange(
                        monitor=m,
                        result=result if rng.random() < 0.9 else None,
                        old_state=rng.choice(STATES),
                        new_state=rng.choice(STATES),
                        created_at=result.started_at,
                        processed_at=result.started_at + timedelta(seconds=5) if processed else None,
                    )
                )
            StatusChange.objects.bulk_create(changes)
            if rng.random() < 0.4:
                count = rng.choice([20, HEARTBEAT_PINGS_KEPT - 1, HEARTBEAT_PINGS_KEPT, 130])
                pings = [
                    HeartbeatPing(monitor=m, received_at=T - timedelta(minutes=rng.randint(0, 150 * 1440)))
                    for _ in range(count)
                ]
                HeartbeatPing.objects.bulk_create(pings)
            days = sorted(set(rng.sample(range(0, 800), k=rng.randint(0, 12))))
            Rollup.objects.bulk_create(
                [
                    Rollup(monitor=m, region="local", period="day", bucket_start=T - timedelta(days=d), checks=1)
                    for d in days
                ]
            )
    rolled_up_until = None
    if rng.random() < 0.5:
        rolled_up_until = T - timedelta(days=rng.choice([3, 20, 45]))
        RollupProgress.objects.create(period="hour", built_until=rolled_up_until)
    return World(organizations=orgs, rolled_up_until=rolled_up_until)


def oracle(world: World) -> dict[str, set[int]]:
    """The ids each table keeps, computed in Python from the rules in checks.retention's docstring."""
    days = {o.id: o.result_retention_days for o in world.organizations}
    org_of = dict(Monitor.objects.values_list("id", "organization_id"))
    all_results = list(CheckResult.objects.values_list("id", "monitor_id", "started_at"))
    latest: dict[int, tuple[datetime, int]] = {}
    for rid, mid, started in all_results:
        latest[mid] = max(latest.get(mid, (started, rid)), (started, rid))
    changes = list(
        StatusChange.objects.values_list("monitor_id", "result_id", "new_state", "created_at", "processed_at")
    )
    last_recovery: dict[int, datetime] = {}
    for mid, _, new_state, created, processed in changes:
        if new_state in ("up", "degraded") and processed is not None:
            last_recovery[mid] = max(last_recovery.get(mid, created), created)
    protected = {
        rid
        for mid, rid, _, created, _ in changes
        if rid is not None
        and (
            created >= T - timedelta(days=STATUS_CHANGE_KEEP_DAYS)
            or mid not in last_recovery
            or created >= last_recovery[mid]
        )
    }
    kept_results = set()
    for rid, mid, started in all_results:
        cutoff = T - timedelta(days=days[org_of[mid]])
        if world.rolled_up_until is not None:
            cutoff = min(cutoff, world.rolled_up_until)
        if started >= cutoff or latest[mid] == (started, rid) or rid in protected:
            kept_results.add(rid)
    kept_pings = set()
    by_monitor: dict[int, list[tuple[datetime, int]]] = {}
    for pid, mid, received in HeartbeatPing.objects.values_list("id", "monitor_id", "received_at"):
        by_monitor.setdefault(mid, []).append((received, pid))
    for mid, pings in by_monitor.items():
        newest = sorted(pings, reverse=True)[:HEARTBEAT_PINGS_KEPT]
        cutoff = T - timedelta(days=days[org_of[mid]])
        kept_pings |= {pid for received, pid in pings if received >= cutoff or (received, pid) in newest}
    kept = {"results": kept_results, "pings": kept_pings}
    kept["rollups"] = set(Rollup.objects.filter(bucket_start__gte=T - timedelta(days=730)).values_list("id", flat=True))
    return kept


def remaining() -> dict[str, set[int]]:
    left = {
        "results": set(CheckResult.objects.values_list("id", flat=True)),
        "pings": set(HeartbeatPing.objects.values_list("id", flat=True)),
    }
    left["rollups"] = set(Rollup.objects.values_list("id", flat=True))
    return left


@pytest.mark.parametrize("seed", range(12))
def test_data_01_rows_left_after_the_purge_equal_the_oracle(seed: int) -> None:
    world = build_world(random.Random(seed))
    expected = oracle(world)
    before = remaining()
    report = retention_purge(now=T, force=True, batch_size=7)
    assert remaining() == expected
    assert report.tables["checks_checkresult"].deleted == len(before["results"] - expected["results"])
    # A second run finds nothing more to do (idempotent).
    again = retention_purge(now=T, force=True, batch_size=7)
    assert all(t.deleted == 0 for t in again.tables.values())
    assert remaining() == expected


@pytest.mark.parametrize("seed", range(4))
def test_data_01_a_run_killed_part_way_converges_on_the_next_run(seed: int) -> None:
    rng = random.Random(1000 + seed)
    world = build_world(rng)
    expected = oracle(world)
    # A killed run leaves some whole batches deleted: any subset of what would go.
    doomed = sorted(remaining()["results"] - expected["results"])
    CheckResult.objects.filter(id__in=rng.sample(doomed, k=len(doomed) // 2)).delete()
    retention_purge(now=T, force=True)
    assert remaining() == expected


def test_data_01_latest_result_and_open_incident_evidence_survive_any_age() -> None:
    org = organization("old", 7)
    m = monitor(org, 1)
    old = results(m, [T - timedelta(days=d) for d in (400, 300, 200, 150)])
    # DOWN 300 days ago, never recovered since: the change that opened the still-open incident.
    StatusChange.objects.create(
        monitor=m, result=old[1], old_state="up", new_state="down", created_at=old[1].started_at, processed_at=T
    )
    retention_purge(now=T, force=True)
    assert set(CheckResult.objects.values_list("id", flat=True)) == {old[1].id, old[3].id}


# --- DATA-02 guard rails ------------------------------------------------------------


def aged_monitor(days: int = 30) -> Monitor:
    m = monitor(organization("acme", days), 1)
    results(m, [T - timedelta(days=d) for d in (100, 90, 10, 1)])  # 2 of 4 may go: exactly half
    return m


def test_data_02_zero_retention_refuses_and_logs_an_error(caplog: pytest.LogCaptureFixture) -> None:
    m = aged_monitor()
    Organization.objects.filter(id=m.organization_id).update(result_retention_days=0)
    with caplog.at_level(logging.ERROR, logger="checks.retention"), pytest.raises(RetentionGuardError):
        retention_purge(now=T, force=True)
    assert CheckResult.objects.count() == 4
    assert any(r.levelno == logging.ERROR and "refused" in r.getMessage() for r in caplog.records)


def test_data_02_missing_or_too_recent_rollup_cutoff_refuses(settings) -> None:
    aged_monitor()
    for days in (0, None, 0.5):  # 0.5 days: a cutoff later than now - 1 day
        settings.CHECKS_ROLLUP_RETENTION_DAYS = days
        with pytest.raises(RetentionGuardError):
            retention_purge(now=T, force=True)
    assert CheckResult.objects.count() == 4


def test_data_02_more_than_half_a_table_needs_force() -> None:
    m = aged_monitor()
    results(m, [T - timedelta(days=70)])  # now 3 of 5 would go
    with pytest.raises(RetentionGuardError, match="more than half"):
        retention_purge(now=T)
    assert CheckResult.objects.count() == 5
    with pytest.raises(CommandError, match="more than half"):
        call_command("purge_results")
    with pytest.raises(RetentionGuardError):
        purge_results_task.apply().get()  # the beat task never forces
    assert CheckResult.objects.count() == 5
    assert retention_purge(now=T, force=True).tables["checks_checkresult"].deleted == 3
    assert CheckResult.objects.count() == 2


def test_data_02_exactly_half_runs_without_force_and_the_task_purges() -> None:
    aged_monitor()
    assert purge_results_task.apply().get()["checks_checkresult"] == 2
    assert CheckResult.objects.count() == 2


def test_data_02_dry_run_prints_the_counts_and_deletes_nothing() -> None:
    m = aged_monitor()
    results(m, [T - timedelta(days=70)])
    report = retention_purge(now=T, dry_run=True)  # over half, yet a dry run reports instead of refusing
    assert report.tables["checks_checkresult"].to_delete == 3 and report.tables["checks_checkresult"].deleted == 0
    out = StringIO()
    call_command("purge_results", "--dry-run", stdout=out)
    assert "checks_checkresult: would delete 3 of 5 rows (more than half: needs --force)" in out.getvalue()
    assert "nothing was deleted" in out.getvalue()
    assert CheckResult.objects.count() == 5
    out = StringIO()
    call_command("purge_results", "--force", stdout=out)
    assert "checks_checkresult: deleted 3 of 5 rows" in out.getvalue()


# --- retention proved -----------------------------------------------------------------


def test_retention_proved_rollups_remain_and_live_data_is_untouched() -> None:
    org = organization("live", 30)
    m, quiet = monitor(org, 1), monitor(org, 2)
    old = results(m, [T - timedelta(days=d) for d in range(60, 30, -1)])
    recent = results(m, [T - timedelta(hours=h) for h in range(0, 24 * 29, 6)])
    quiet_latest = results(quiet, [T - timedelta(days=200)])
    rollup_ids = {
        Rollup.objects.create(monitor=m, region="local", period=p, bucket_start=T - timedelta(days=d), checks=1).id
        for p in ("hour", "day")
        for d in range(60, 30, -3)
    }
    retention_purge(now=T, force=True)
    left = set(CheckResult.objects.values_list("id", flat=True))
    assert not left & {r.id for r in old}
    assert {r.id for r in recent} | {quiet_latest[0].id} == left
    assert set(Rollup.objects.values_list("id", flat=True)) == rollup_ids
