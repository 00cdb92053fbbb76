from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from checks.models import CheckResult
from checks.tasks import dispatch_due_checks_task, run_check_task
from checks.tests.factories import make_monitor
from conftest import organization_of
from monitors.models import Monitor
from monitors.services import monitor_delete

pytestmark = pytest.mark.django_db


# Dispatch timing (slots, drift, missed slots, spreading): checks/tests/test_dispatch.py.


def test_dispatch_due_checks_task_smoke(alice, http_target) -> None:
    monitor = make_monitor(organization=organization_of(alice), url=http_target.url)
    Monitor.objects.filter(id=monitor.id).update(next_check_at=timezone.now() - timedelta(seconds=1))
    assert dispatch_due_checks_task.apply().get() == 1
    assert CheckResult.objects.count() == 1


def test_run_check_task_smoke_and_redelivery(alice, http_target) -> None:
    monitor = make_monitor(organization=organization_of(alice), url=http_target.url)
    due = timezone.now().isoformat()
    first = run_check_task.apply(args=[monitor.id, due, "local"]).get()
    second = run_check_task.apply(args=[monitor.id, due, "local"]).get()
    assert first == second
    assert CheckResult.objects.filter(monitor=monitor).count() == 1


def test_ten_06_run_check_task_ignores_deleted_and_paused_monitors(alice, http_target) -> None:
    org = organization_of(alice)
    paused = make_monitor(organization=org, url=http_target.url, paused=True)
    deleted = make_monitor(organization=org, url=http_target.url)
    deleted_id = deleted.id
    monitor_delete(monitor=deleted)
    due = timezone.now().isoformat()
    assert run_check_task.apply(args=[paused.id, due, "local"]).get() is None
    assert run_check_task.apply(args=[deleted_id, due, "local"]).get() is None
    assert CheckResult.objects.count() == 0
    assert http_target.requests == []
    assert Monitor.objects.get(id=paused.id).state == "paused"
