"""checks.run_checks: a batch of slots in one task, probed side by side, stored one result per slot."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from celery.signals import task_prerun
from django.utils import timezone

from checks.batch import batch_key
from checks.deliveries import delivery_count, message_delivery_count
from checks.models import CheckResult
from checks.services import checks_dispatch_due
from checks.tasks import run_checks_task
from checks.tests.factories import make_monitor
from conftest import organization_of
from monitors.models import Monitor

pytestmark = pytest.mark.django_db


def _monitors(alice, url: str, count: int) -> list[Monitor]:
    organization = organization_of(alice)
    return [make_monitor(organization=organization, url=url, name=f"m{i}", retries=0) for i in range(count)]


def test_batch_probes_its_slots_concurrently_and_stores_one_result_each(alice, http_target) -> None:
    monitors = _monitors(alice, http_target.url, 6)
    http_target.set_reply(status=200, delay_seconds=0.4)
    due = timezone.now().replace(microsecond=0)
    started = time.monotonic()
    stored = run_checks_task.apply(args=["local", [[m.id, due.isoformat()] for m in monitors]]).get()
    elapsed = time.monotonic() - started
    assert stored == 6
    assert elapsed < 6 * 0.4  # side by side, not one after the other
    assert sorted(CheckResult.objects.filter(due_at=due).values_list("monitor_id", flat=True)) == sorted(
        m.id for m in monitors
    )
    assert all(r.ok for r in CheckResult.objects.filter(due_at=due))


def test_batch_skips_paused_and_deleted_monitors(alice, http_target) -> None:
    live, paused, deleted = _monitors(alice, http_target.url, 3)
    Monitor.objects.filter(id=paused.id).update(paused=True)
    deleted_id = deleted.id
    deleted.delete()
    due = timezone.now()
    slots = [[live.id, due.isoformat()], [paused.id, due.isoformat()], [deleted_id, due.isoformat()]]
    assert run_checks_task.apply(args=["local", slots]).get() == 1
    assert list(CheckResult.objects.values_list("monitor_id", flat=True)) == [live.id]


def test_redelivered_batch_resends_only_the_slots_without_a_result_one_by_one(alice, http_target) -> None:
    done, lost = _monitors(alice, http_target.url, 2)
    due = timezone.now().replace(microsecond=0)
    slots = [[done.id, due.isoformat()], [lost.id, due.isoformat()]]
    run_checks_task.apply(args=["local", [slots[0]]]).get()  # the first slot was stored before the worker died
    parsed = [(m, due) for m, _ in slots]
    message_delivery_count(key="batch:" + batch_key(region="local", slots=parsed))  # that first delivery
    sent: list[tuple[str, list]] = []

    def collect(sender=None, args=None, **kwargs) -> None:  # noqa: ANN001
        sent.append((sender.name, list(args)))

    task_prerun.connect(collect, weak=False)
    try:
        run_checks_task.apply(args=["local", slots]).get()
    finally:
        task_prerun.disconnect(collect)
    assert sent[1:] == [("checks.run_check", [lost.id, due.isoformat(), "local"])]
    assert CheckResult.objects.filter(due_at=due).count() == 2
    assert len(http_target.requests) == 2  # the stored slot was not probed again
    # The dead batch counted as the lost slot's first delivery: its run_check was the second.
    assert delivery_count(monitor_id=lost.id, region="local", due_at=due) == 3


def test_cel_10_poison_slot_of_a_batch_is_probed_at_most_max_deliveries_times(alice, http_target, settings) -> None:
    settings.CHECKS_MAX_DELIVERIES = 3
    (poison,) = _monitors(alice, http_target.url, 1)
    due = timezone.now().replace(microsecond=0)
    slots = [[poison.id, due.isoformat()]]
    key = "batch:" + batch_key(region="local", slots=[(poison.id, due)])
    message_delivery_count(key=key)  # delivery 1 of the batch: its worker died probing the slot
    for _ in range(2):  # deliveries 2 and 3 of the slot's own run_check: died too
        delivery_count(monitor_id=poison.id, region="local", due_at=due)
    # The batch comes back (its 2nd delivery): it re-sends the slot, which is now past 3 deliveries.
    run_checks_task.apply(args=["local", slots]).get()
    result = CheckResult.objects.get(monitor=poison, due_at=due)
    assert (result.error_kind, result.details["deliveries"]) == ("worker_lost", 4)
    assert http_target.requests == []


def test_dispatcher_sends_batches_of_checks_batch_size(alice, http_target, settings) -> None:
    settings.CHECKS_BATCH_SIZE = 4
    monitors = _monitors(alice, http_target.url, 10)
    now = timezone.now()
    Monitor.objects.filter(id__in=[m.id for m in monitors]).update(next_check_at=now - timedelta(seconds=1))
    batches: list[int] = []

    def collect(sender=None, args=None, **kwargs) -> None:  # noqa: ANN001
        if sender.name == "checks.run_checks":
            batches.append(len(args[1]))

    task_prerun.connect(collect, weak=False)
    try:
        assert checks_dispatch_due(now=now) == 10
    finally:
        task_prerun.disconnect(collect)
    assert batches == [4, 4, 2]
    assert CheckResult.objects.count() == 10
