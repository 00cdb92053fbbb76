"""CHECKS_DISPATCH_LOOKAHEAD_MS: slots claimed a tick ahead, sent with a countdown, probed at their due time."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from celery import current_app
from celery.signals import before_task_publish
from django.utils import timezone

from checks.models import CheckResult
from checks.services import checks_dispatch_due
from checks.tests.factories import make_monitor
from conftest import organization_of
from core.queues import region_queue
from monitors.models import Monitor

pytestmark = pytest.mark.django_db


@pytest.fixture
def lookahead(settings) -> int:
    settings.CHECKS_DISPATCH_LOOKAHEAD_MS = 1000
    return 1000


def _due_in(monitor: Monitor, seconds: float, now: datetime) -> datetime:
    due = now + timedelta(seconds=seconds)
    Monitor.objects.filter(id=monitor.id).update(next_check_at=due)
    return due


def test_slots_due_within_the_lookahead_are_claimed_and_later_ones_are_not(alice, http_target, lookahead) -> None:
    organization = organization_of(alice)
    soon, later = (make_monitor(organization=organization, url=http_target.url, name=n) for n in ("soon", "later"))
    now = timezone.now()
    soon_due = _due_in(soon, 0.3, now)
    _due_in(later, 1.5, now)
    assert checks_dispatch_due(now=now) == 1
    assert Monitor.objects.get(id=soon.id).next_check_at == soon_due + timedelta(seconds=60)  # on its grid
    assert Monitor.objects.get(id=later.id).next_check_at == now + timedelta(seconds=1.5)  # not claimed yet
    assert list(CheckResult.objects.values_list("monitor_id", flat=True)) == [soon.id]


def test_a_slot_claimed_ahead_is_probed_at_its_due_time_never_before(alice, http_target, lookahead) -> None:
    monitor = make_monitor(organization=organization_of(alice), url=http_target.url)
    now = timezone.now()
    due = _due_in(monitor, 0.6, now)
    assert checks_dispatch_due(now=now) == 1  # eager here: the batch runs at once and waits for the slot
    result = CheckResult.objects.get(monitor=monitor)
    assert result.due_at == due
    assert due <= result.started_at < due + timedelta(seconds=0.5)


def test_without_lookahead_nothing_is_claimed_before_it_is_due(alice, http_target, settings) -> None:
    settings.CHECKS_DISPATCH_LOOKAHEAD_MS = 0
    monitor = make_monitor(organization=organization_of(alice), url=http_target.url)
    now = timezone.now()
    _due_in(monitor, 0.3, now)
    assert checks_dispatch_due(now=now) == 0


def test_a_batch_ahead_of_its_slot_is_published_with_a_countdown_to_it(alice, http_target, lookahead) -> None:
    """Through the real broker (not eager): the message's eta is the batch's first slot."""
    organization = organization_of(alice)
    monitors = [make_monitor(organization=organization, url=http_target.url, name=f"m{i}") for i in range(2)]
    now = timezone.now()
    first = _due_in(monitors[0], 0.4, now)
    _due_in(monitors[1], 0.7, now)
    published: list[dict] = []

    def grab(sender=None, headers=None, **kwargs) -> None:  # noqa: ANN001, ANN003
        if sender == "checks.run_checks":
            published.append(headers)

    current_app.conf.task_always_eager = False
    before_task_publish.connect(grab, weak=False)
    try:
        assert checks_dispatch_due(now=now) == 2
    finally:
        before_task_publish.disconnect(grab)
        current_app.conf.task_always_eager = True
        with current_app.connection_for_write() as connection:
            connection.default_channel.queue_purge(region_queue("local"))
    assert len(published) == 1  # one batch of both slots
    eta = datetime.fromisoformat(published[0]["eta"])
    assert abs(eta - first) < timedelta(milliseconds=250)
    assert datetime.fromisoformat(published[0]["expires"]) > eta
