"""CEL-02: a redelivered run_check for one (monitor, due_at) stores one result and one status change.

The service-level twins live in checks/tests/test_services.py; these go through the Celery task
itself, as a redelivery after a killed worker or a visibility timeout would.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import timezone

from checks.models import CheckResult, StatusChange
from checks.tasks import run_check_task
from checks.tests.factories import make_monitor
from conftest import organization_of


@pytest.mark.django_db
def test_cel_02_run_check_task_delivered_twice_returns_the_stored_result(alice, http_target) -> None:
    monitor = make_monitor(organization=organization_of(alice), url=http_target.url)
    due = timezone.now().isoformat()
    first = run_check_task.apply(args=[monitor.id, due, "local"]).get()
    http_target.set_reply(status=500)  # a second probe would now fail: it must not happen
    second = run_check_task.apply(args=[monitor.id, due, "local"]).get()
    assert second == first
    assert CheckResult.objects.filter(monitor=monitor).count() == 1
    assert CheckResult.objects.get(id=first).ok is True
    assert StatusChange.objects.filter(monitor=monitor).count() == 1
    assert len(http_target.requests) == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_cel_02_two_racing_run_check_tasks_store_one_result_and_one_status_change(alice, http_target) -> None:
    monitor = make_monitor(organization=organization_of(alice), url=http_target.url)
    http_target.set_reply(status=200, delay_seconds=0.3)  # both probes in flight together
    due = timezone.now().isoformat()
    returned: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def deliver() -> None:
        try:
            barrier.wait(timeout=5)
            outcome = run_check_task.apply(args=[monitor.id, due, "local"])
            assert outcome.successful(), outcome.traceback
            returned.append(outcome.result)  # .get() refuses to run in a thread next to another task
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(http_target.requests) == 2  # both deliveries really ran the probe
    assert len(returned) == 2 and returned[0] == returned[1]  # the loser returns the winner's row
    assert CheckResult.objects.filter(monitor=monitor).count() == 1
    assert StatusChange.objects.filter(monitor=monitor).count() == 1
