from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from checks.models import CheckResult
from checks.services import checks_dispatch_due
from checks.tasks import dispatch_due_checks_task, run_check_task
from checks.tests.factories import make_monitor
from conftest import organization_of
from monitors.models import Monitor
from monitors.services import monitor_delete

pytestmark = pytest.mark.django_db


def test_dispatch_runs_each_due_monitor_once_and_moves_its_slot(alice, http_target) -> None:
    org = organization_of(alice)
    now = timezone.now()
    due = make_monitor(organization=org, url=http_target.url, name="due", now=now - timedelta(seconds=5))
    later = make_monitor(organization=org, url=http_target.url, name="later", now=now + timedelta(seconds=30))
    paused = make_monitor(organization=org, url=http_target.url, name="paused", paused=True, now=now)

    assert checks_dispatch_due(now=now) == 1  # tasks run eagerly in tests
    assert checks_dispatch_due(now=now) == 0  # the slot is claimed: a second beat enqueues nothing

    due.refresh_from_db()
    assert due.next_check_at == now - timedelta(seconds=5) + timedelta(seconds=60)
    assert list(CheckResult.objects.values_list("monitor_id", "due_at")) == [(due.id, now - timedelta(seconds=5))]
    assert not CheckResult.objects.filter(monitor__in=[later, paused]).exists()


def test_dispatch_skips_missed_slots_after_downtime(alice, http_target) -> None:
    now = timezone.now()
    monitor = make_monitor(organization=organization_of(alice), url=http_target.url, now=now - timedelta(hours=1))
    checks_dispatch_due(now=now)
    monitor.refresh_from_db()
    assert monitor.next_check_at == now + timedelta(seconds=60)
    assert CheckResult.objects.filter(monitor=monitor).count() == 1


def test_dispatch_due_checks_task_smoke(alice, http_target) -> None:
    make_monitor(organization=organization_of(alice), url=http_target.url, now=timezone.now() - timedelta(seconds=1))
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
