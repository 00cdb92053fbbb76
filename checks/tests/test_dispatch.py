"""The dispatcher keeps time: exact slots, no drift, first runs and outage recovery spread, batches claimed once."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from checks.models import CheckResult
from checks.services import checks_dispatch_due
from checks.tests.factories import make_monitor
from conftest import organization_of
from monitors.models import Monitor
from monitors.schedule import first_check_at, next_due
from monitors.services import monitor_claim_due_batch, monitor_update

pytestmark = pytest.mark.django_db


def _due(monitor: Monitor, at: datetime) -> Monitor:
    Monitor.objects.filter(id=monitor.id).update(next_check_at=at)
    monitor.refresh_from_db()
    return monitor


def _per_second(times: list[datetime]) -> Counter[int]:
    return Counter(int(t.timestamp()) for t in times)


def test_dispatch_runs_each_due_monitor_once_and_moves_its_slot(alice, http_target) -> None:
    org = organization_of(alice)
    now = timezone.now()
    due = _due(make_monitor(organization=org, url=http_target.url, name="due"), now - timedelta(seconds=5))
    later = _due(make_monitor(organization=org, url=http_target.url, name="later"), now + timedelta(seconds=30))
    paused = _due(make_monitor(organization=org, url=http_target.url, name="paused", paused=True), now)

    assert checks_dispatch_due(now=now) == 1  # tasks run eagerly in tests
    assert checks_dispatch_due(now=now) == 0  # the slot is claimed: a second beat enqueues nothing

    due.refresh_from_db()
    assert due.next_check_at == now - timedelta(seconds=5) + timedelta(seconds=60)  # due + interval: no drift
    assert list(CheckResult.objects.values_list("monitor_id", "due_at")) == [(due.id, now - timedelta(seconds=5))]
    assert not CheckResult.objects.filter(monitor__in=[later, paused]).exists()


def test_next_due_is_previous_due_plus_interval_whatever_the_lag(alice, http_target) -> None:
    monitor = make_monitor(organization=organization_of(alice), url=http_target.url)
    due = monitor.next_check_at
    # Late but not missed: runs, and the grid does not move. 25 s is a worker restart (the
    # dispatcher runs on the workers; RELIABILITY CEL-04), under CHECKS_MISSED_AFTER_SECONDS (30).
    for lag in (0, 2, 7, 25):
        checks_dispatch_due(now=due + timedelta(seconds=lag))
        monitor.refresh_from_db()
        assert monitor.next_check_at == due + timedelta(seconds=60)
        due = monitor.next_check_at
    assert list(CheckResult.objects.order_by("due_at").values_list("due_at", flat=True)) == [
        due - timedelta(seconds=60 * k) for k in (4, 3, 2, 1)
    ]


def test_missed_slots_after_an_outage_are_skipped_not_replayed(alice, http_target) -> None:
    monitor = make_monitor(organization=organization_of(alice), url=http_target.url)
    first = monitor.next_check_at
    now = first + timedelta(hours=1, seconds=7)
    assert checks_dispatch_due(now=now) == 0  # an hour late: no run now, no burst of 60
    monitor.refresh_from_db()
    assert now < monitor.next_check_at <= now + timedelta(seconds=60)
    assert (monitor.next_check_at - first) % timedelta(seconds=60) == timedelta(0)  # same phase
    assert not CheckResult.objects.exists()
    assert checks_dispatch_due(now=monitor.next_check_at) == 1  # and its next slot runs


def test_a_slot_found_later_than_checks_missed_after_seconds_is_skipped(alice, http_target, settings) -> None:
    assert settings.CHECKS_MISSED_AFTER_SECONDS == 30  # as shipped
    monitor = make_monitor(organization=organization_of(alice), url=http_target.url)
    due = monitor.next_check_at
    assert checks_dispatch_due(now=due + timedelta(seconds=31)) == 0
    monitor.refresh_from_db()
    assert monitor.next_check_at == due + timedelta(seconds=60)  # its next slot, same phase
    assert not CheckResult.objects.exists()


def test_outage_recovery_is_spread_over_the_interval(alice, http_target) -> None:
    """Beat comes back after an hour: overdue monitors resume at their own phase, not all on one second."""
    org = organization_of(alice)
    start = timezone.now()
    monitors = [make_monitor(organization=org, url=http_target.url, name=f"m{i}", now=start) for i in range(60)]
    back = start + timedelta(hours=1)
    assert checks_dispatch_due(now=back) == 0
    assert http_target.requests == []
    nexts = list(Monitor.objects.filter(id__in=[m.id for m in monitors]).values_list("next_check_at", flat=True))
    assert all(back < at <= back + timedelta(seconds=60) for at in nexts)
    assert max(_per_second(nexts).values()) <= 3  # 60 monitors over 60 s; "now + interval" put all 60 on one


def test_first_checks_are_spread_over_the_interval(alice, http_target, settings) -> None:
    org = organization_of(alice)
    now = timezone.now()
    made = [make_monitor(organization=org, url=http_target.url, name=f"m{i}", now=now) for i in range(120)]
    firsts = [m.next_check_at for m in made]
    assert all(now <= at < now + timedelta(seconds=60) for at in firsts)
    assert max(_per_second(firsts).values()) <= 4  # 120 created in one go: about 2 a second, never a herd
    for m in made:  # stable: the offset is a function of the id
        assert m.next_check_at == first_check_at(monitor_id=m.id, interval_seconds=60, now=now, within_seconds=60)
    short = make_monitor(organization=org, url=http_target.url, interval_seconds=30, now=now)
    assert now <= short.next_check_at < now + timedelta(seconds=30)  # never later than one interval
    settings.CHECKS_FIRST_CHECK_WITHIN_SECONDS = 0
    assert make_monitor(organization=org, url=http_target.url, now=now).next_check_at == now


def test_heartbeat_deadline_is_not_spread(alice) -> None:
    from monitors.services import monitor_create  # noqa: PLC0415

    now = timezone.now()
    monitor = monitor_create(organization=organization_of(alice), name="cron", kind="heartbeat", now=now)
    assert monitor.next_check_at == now


def test_resumed_monitor_is_scheduled_like_a_new_one(alice, http_target) -> None:
    monitor = make_monitor(organization=organization_of(alice), url=http_target.url, paused=True)
    now = timezone.now()
    monitor = monitor_update(monitor=monitor, paused=False, now=now)
    assert monitor.next_check_at == first_check_at(
        monitor_id=monitor.id, interval_seconds=60, now=now, within_seconds=60
    )


def test_next_due_arithmetic() -> None:
    due = timezone.now()
    assert next_due(due_at=due, interval_seconds=60, now=due) == due + timedelta(seconds=60)
    assert next_due(due_at=due, interval_seconds=60, now=due + timedelta(seconds=59)) == due + timedelta(seconds=60)
    assert next_due(due_at=due, interval_seconds=60, now=due + timedelta(seconds=60)) == due + timedelta(seconds=120)
    assert next_due(due_at=due, interval_seconds=60, now=due + timedelta(seconds=3601)) == due + timedelta(seconds=3660)


@pytest.mark.postgres_only
def test_batch_claim_is_one_round_trip_per_batch_on_postgresql(alice, http_target) -> None:
    org = organization_of(alice)
    now = timezone.now()
    for i in range(50):
        _due(make_monitor(organization=org, url=http_target.url, name=f"m{i}"), now - timedelta(seconds=i % 5))
    with CaptureQueriesContext(connection) as queries:
        slots = monitor_claim_due_batch(now=now, limit=500)
    assert len(slots) == 50
    sql = [q["sql"] for q in queries.captured_queries]
    assert len([s for s in sql if "FOR UPDATE SKIP LOCKED" in s]) == 1
    assert len([s for s in sql if s.startswith("UPDATE")]) == 1
    assert len(sql) <= 4  # SAVEPOINT/RELEASE at most besides the two
    for slot in slots:
        assert Monitor.objects.get(id=slot.monitor_id).next_check_at == slot.due_at + timedelta(seconds=60)
