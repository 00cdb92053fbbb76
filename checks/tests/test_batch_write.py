"""checks.services.check_results_record and core.bulk.update_rows: a batch's results stored in a few statements.

The batch must leave exactly what storing each result on its own (check_result_record) leaves:
the same rows, states, counts and StatusChanges; a slot that already has a result keeps it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from checks.models import CheckResult, MonitorRegionState, StatusChange
from checks.probes import ProbeOutcome
from checks.services import check_result_record, check_results_record
from checks.tests.factories import make_monitor
from checks.windows import windows_cache_clear
from conftest import organization_of
from core.bulk import update_rows
from monitors.models import Monitor

pytestmark = pytest.mark.django_db

UNREACHABLE = "http://127.0.0.1:9/"  # never probed here: the outcomes are given


def _outcome(*, ok: bool, at: datetime, latency_ms: int = 12) -> ProbeOutcome:
    return ProbeOutcome(
        started_at=at,
        ok=ok,
        status_code=200 if ok else 503,
        latency_ms=latency_ms,
        error="" if ok else "HTTP 503",
        error_kind="" if ok else "status",
    )


def _monitors(alice, count: int, **fields) -> list[Monitor]:  # noqa: ANN003
    organization = organization_of(alice)
    return [
        make_monitor(organization=organization, url=UNREACHABLE, name=f"w{i}", failure_threshold=2, **fields)
        for i in range(count)
    ]


def _snapshot(monitors: list[Monitor]) -> list[tuple]:
    """What the state machine leaves, per monitor: its state and counts, its region rows, its StatusChanges."""
    rows = []
    for monitor in Monitor.objects.filter(id__in=[m.id for m in monitors]).order_by("name"):
        regions = list(
            MonitorRegionState.objects.filter(monitor=monitor).values_list(
                "region", "state", "consecutive_failures", "consecutive_successes", "last_due_at"
            )
        )
        changes = list(
            StatusChange.objects.filter(monitor=monitor).order_by("id").values_list("old_state", "new_state", "cause")
        )
        results = list(
            CheckResult.objects.filter(monitor=monitor).order_by("due_at").values_list("due_at", "ok", "degraded")
        )
        rows.append(
            (
                monitor.name,
                monitor.state,
                monitor.consecutive_failures,
                monitor.consecutive_successes,
                monitor.last_latency_ms,
                monitor.last_status_code,
                monitor.last_error,
                regions,
                changes,
                results,
            )
        )
    return rows


def _script(monitors: list[Monitor], start: datetime) -> list[list[tuple[Monitor, datetime, ProbeOutcome]]]:
    """Four rounds of one slot per monitor: up, down, down (the flip to DOWN), up (recovery) for the
    even monitors; always up for the odd ones (one of them slow: degraded)."""
    rounds = []
    for k, oks in enumerate([(True,), (False,), (False,), (True,)]):
        due = start + timedelta(seconds=60 * k)
        rounds.append(
            [
                (
                    monitor,
                    due,
                    _outcome(ok=oks[0] if i % 2 == 0 else True, at=due, latency_ms=900 if i == 1 else 12),
                )
                for i, monitor in enumerate(monitors)
            ]
        )
    return rounds


def test_a_batch_leaves_exactly_what_storing_each_result_alone_leaves(alice, bob) -> None:
    start = timezone.now().replace(microsecond=0)
    one_by_one = _monitors(alice, 6, degraded_latency_ms=500)
    batched = _monitors(bob, 6, degraded_latency_ms=500)
    for round_ in _script(one_by_one, start):
        for monitor, due, outcome in round_:
            check_result_record(monitor=monitor, region="local", due_at=due, outcome=outcome)
    for round_ in _script(batched, start):
        assert len(check_results_record(region="local", recorded=round_)) == 6
    alone = _snapshot(one_by_one)
    together = _snapshot(batched)
    assert together == alone
    # and what that is: the even monitors went down once and came back, the slow one is degraded
    assert [row[8] for row in together][0] == [
        ("pending", "up", "HTTP 200"),
        ("up", "down", "HTTP 503"),
        ("down", "up", "HTTP 200"),
    ]
    assert together[1][9][-1][2] is True  # degraded result of the slow monitor


def test_a_batch_of_twenty_is_a_handful_of_statements_not_a_few_per_result(alice, settings) -> None:
    settings.CHECKS_MAINTENANCE_CACHE_SECONDS = 5  # as shipped: the windows are read once per process
    windows_cache_clear()
    monitors = _monitors(alice, 20)
    due = timezone.now().replace(microsecond=0)
    check_results_record(region="local", recorded=[(m, due, _outcome(ok=True, at=due)) for m in monitors])
    later = due + timedelta(seconds=60)
    with CaptureQueriesContext(connection) as queries:
        stored = check_results_record(
            region="local", recorded=[(m, later, _outcome(ok=True, at=later)) for m in monitors]
        )
    assert len(stored) == 20
    assert CheckResult.objects.filter(due_at=later).count() == 20
    # insert, lock, read region rows, update region rows, update monitors (+ savepoint statements)
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) <= 6, statements


def test_a_slot_that_already_has_a_result_keeps_it_and_the_others_are_stored(alice) -> None:
    first, second = _monitors(alice, 2)
    due = timezone.now().replace(microsecond=0)
    kept = check_result_record(monitor=first, region="local", due_at=due, outcome=_outcome(ok=False, at=due))
    stored = check_results_record(
        region="local",
        recorded=[(first, due, _outcome(ok=True, at=due)), (second, due, _outcome(ok=True, at=due))],
    )
    assert [result.id for result in stored][0] == kept.id
    assert CheckResult.objects.get(monitor=first, due_at=due).ok is False  # the stored result stands
    assert CheckResult.objects.filter(due_at=due).count() == 2
    assert MonitorRegionState.objects.get(monitor=first).consecutive_failures == 1  # counted once


def test_two_slots_of_one_monitor_in_one_batch_apply_in_slot_order(alice) -> None:
    (monitor,) = _monitors(alice, 1)
    due = timezone.now().replace(microsecond=0)
    later = due + timedelta(seconds=60)
    check_results_record(
        region="local",
        recorded=[(monitor, later, _outcome(ok=False, at=later)), (monitor, due, _outcome(ok=True, at=due))],
    )
    monitor.refresh_from_db()
    region = MonitorRegionState.objects.get(monitor=monitor)
    assert (region.last_due_at, region.consecutive_failures) == (later, 1)
    assert monitor.last_status_code == 503  # the later slot is the last applied


def test_a_paused_monitor_keeps_its_state_but_its_result_is_stored(alice) -> None:
    live, paused = _monitors(alice, 2)
    Monitor.objects.filter(id=paused.id).update(paused=True)
    due = timezone.now().replace(microsecond=0)
    check_results_record(region="local", recorded=[(m, due, _outcome(ok=True, at=due)) for m in (live, paused)])
    assert CheckResult.objects.filter(due_at=due).count() == 2
    assert Monitor.objects.get(id=paused.id).state == "pending"
    assert Monitor.objects.get(id=live.id).state == "up"


def test_update_rows_writes_each_rows_own_values_nulls_and_datetimes(alice) -> None:
    monitors = _monitors(alice, 3)
    now = timezone.now().replace(microsecond=0)
    for i, monitor in enumerate(monitors):
        monitor.state = ["up", "down", "degraded"][i]
        monitor.last_latency_ms = None if i == 1 else 100 + i
        monitor.last_checked_at = now + timedelta(seconds=i)
        monitor.last_error = f"error {i}"
        monitor.state_changed_at = None  # a column of NULLs only
    assert (
        update_rows(
            Monitor, monitors, ["state", "last_latency_ms", "last_checked_at", "last_error", "state_changed_at"]
        )
        == 3
    )
    stored = Monitor.objects.filter(id__in=[m.id for m in monitors]).order_by("id")
    assert [(m.state, m.last_latency_ms, m.last_checked_at, m.last_error, m.state_changed_at) for m in stored] == [
        ("up", 100, now, "error 0", None),
        ("down", None, now + timedelta(seconds=1), "error 1", None),
        ("degraded", 102, now + timedelta(seconds=2), "error 2", None),
    ]
    assert update_rows(Monitor, [], ["state"]) == 0
