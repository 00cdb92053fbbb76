"""CEL-08: two dispatchers (two beats by mistake) over the same monitors claim every slot once.

Each dispatcher is a thread with its own database connection; both call the real
checks_dispatch_due for the same tick, in small batches, for several intervals. Celery is
eager in tests, so every enqueued run executes for real against a local HTTP target; the runs
are counted from Celery's task_prerun signal, not by mocking the claim.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import datetime, timedelta

import pytest
from celery.signals import task_prerun
from django.db import connection
from django.utils import timezone

from checks.models import CheckResult
from checks.services import checks_dispatch_due
from checks.tests.factories import make_monitor
from conftest import organization_of

MONITORS = 24
INTERVAL = 30
TICKS = 75  # one-second ticks: two and a half intervals, two or three slots per monitor
BATCH = 5  # small batches, so the two dispatchers interleave inside one tick


def _run_two_dispatchers(start: datetime) -> tuple[list[tuple[int, datetime, str]], list[int], list[BaseException]]:
    runs: list[tuple[int, datetime, str]] = []
    returned: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(2)

    def collect(sender=None, args=None, **kwargs) -> None:  # noqa: ANN001
        if sender is not None and sender.name == "checks.run_check":
            with lock:
                runs.append((args[0], datetime.fromisoformat(args[1]), args[2]))
        elif sender is not None and sender.name == "checks.run_checks":  # a batch: (region, [[id, due], ...])
            with lock:
                runs.extend((monitor_id, datetime.fromisoformat(due), args[0]) for monitor_id, due in args[1])

    def dispatcher() -> None:
        try:
            for tick in range(TICKS):
                barrier.wait(timeout=30)  # both dispatch the same second, together
                enqueued = checks_dispatch_due(now=start + timedelta(seconds=tick), limit=BATCH)
                with lock:
                    returned.append(enqueued)
        except BaseException as exc:  # noqa: BLE001 - surfaced by the test
            errors.append(exc)
            barrier.abort()
        finally:
            connection.close()

    task_prerun.connect(collect, weak=False)
    try:
        threads = [threading.Thread(target=dispatcher) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads), "a dispatcher hung"
    finally:
        task_prerun.disconnect(collect)
    return runs, returned, errors


def _assert_each_slot_once(alice, http_target) -> None:  # noqa: ANN001
    org = organization_of(alice)
    start = timezone.now()
    monitors = [
        make_monitor(organization=org, url=http_target.url, name=f"m{i}", interval_seconds=INTERVAL, now=start)
        for i in range(MONITORS)
    ]
    last_tick = start + timedelta(seconds=TICKS - 1)

    runs, returned, errors = _run_two_dispatchers(start)

    assert errors == []
    # Every slot the schedule holds up to the last tick, exactly: first due, + interval, ...
    expected: set[tuple[int, datetime, str]] = set()
    for monitor in monitors:
        due = monitor.next_check_at
        while due <= last_tick:
            expected.add((monitor.id, due, "local"))
            due += timedelta(seconds=INTERVAL)
    assert len(runs) == len(set(runs)), "a slot was dispatched twice"
    assert set(runs) == expected
    assert sum(returned) == len(runs)  # each claim enqueued once, by one of the two
    results = list(CheckResult.objects.values_list("monitor_id", "due_at", "region"))
    assert len(results) == len(set(results))
    assert set(results) == expected  # one result per slot, no more, none missing
    assert len(http_target.requests) == len(expected)  # and one probe per slot
    per_monitor: dict[int, list[datetime]] = defaultdict(list)
    for monitor_id, due, _region in sorted(runs):
        per_monitor[monitor_id].append(due)
    for dues in per_monitor.values():  # no drift: consecutive slots exactly one interval apart
        assert all(b - a == timedelta(seconds=INTERVAL) for a, b in zip(dues, dues[1:], strict=False))


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_cel_08_two_dispatchers_skip_locked_claim_each_slot_once(alice, http_target) -> None:
    _assert_each_slot_once(alice, http_target)


@pytest.mark.django_db(transaction=True)
def test_cel_08_two_dispatchers_conditional_update_claim_each_slot_once(alice, http_target) -> None:
    """The same on SQLite, where the claim is one conditional UPDATE per row (no SKIP LOCKED)."""
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant; PostgreSQL runs the SKIP LOCKED one")
    _assert_each_slot_once(alice, http_target)
