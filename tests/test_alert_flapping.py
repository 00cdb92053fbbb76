"""Flapping (issue 7 part 5): a target flapping every check sends at most one "flapping" notice per
window, then nothing until it has been stable for a window; then one "stable again" notice.

Real checks against a local HTTP target through check_execute, the alerts outbox consumer and the
delivery service, to a real webhook receiver. In tests/ because it crosses checks and alerts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from alerts.models import IncidentEvent, MonitorAlertState, Notification
from alerts.selectors import notification_ids_due
from alerts.services import notification_deliver, status_changes_process
from alerts.services.flapping import FLAPPING, flapping_settle
from alerts.tests.factories import make_webhook, record_change
from checks.services import check_execute
from checks.tests.factories import make_monitor
from checks.tests.targets import ScriptedTarget
from conftest import organization_of
from tests.servers import HttpTarget

pytestmark = pytest.mark.django_db


@pytest.fixture
def target() -> Iterator[ScriptedTarget]:
    server = ScriptedTarget().start()
    yield server
    server.stop()


def no_sleep(seconds: float) -> None:
    pass


def run(monitor, due: datetime) -> None:
    check_execute(monitor=monitor, due_at=due, sleep=no_sleep)
    status_changes_process()
    for notification_id in notification_ids_due(now=due + timedelta(hours=1)):
        notification_deliver(notification_id=notification_id, now=due + timedelta(hours=1))


def received(receiver: HttpTarget) -> list[str]:
    return [json.loads(r.body)["type"] for r in receiver.requests]


def test_a_target_flapping_every_check_gets_one_flapping_notice_per_window(settings, alice, target, http_target):
    settings.ALERTS_FLAP_TRANSITIONS = 5
    settings.ALERTS_FLAP_WINDOW_MINUTES = 30
    organization = organization_of(alice)
    make_webhook(organization=organization, url=f"{http_target.url}/hook")
    monitor = make_monitor(organization=organization, url=target.url, failure_threshold=1)
    start = timezone.now()

    # 60 checks a minute apart (two windows), every one flipping the state.
    for n in range(60):
        target.set_reply(status=500 if n % 2 == 0 else 200)
        run(monitor, start + timedelta(minutes=n))

    types = received(http_target)
    # The first changes alert as usual; then the one notice; then quiet, though it never stopped flapping.
    assert types.count("monitor.flapping") == 1
    assert types.index("monitor.flapping") == len(types) - 1
    assert types.count("monitor.down") + types.count("monitor.up") <= settings.ALERTS_FLAP_TRANSITIONS
    suppressed = Notification.objects.filter(channel__kind="webhook", status="suppressed")
    assert suppressed.count() >= 50 and set(suppressed.values_list("last_error", flat=True)) == {FLAPPING}
    assert IncidentEvent.objects.filter(kind="flapping").count() == 1
    state = MonitorAlertState.objects.get(monitor=monitor)
    assert state.flapping_since is not None

    # Stable (up) for a whole window: one "stable again" notice, and the next outage alerts as usual.
    target.set_reply(status=200)
    quiet_from = start + timedelta(minutes=60)
    for n in range(31):
        run(monitor, quiet_from + timedelta(minutes=n))
    assert flapping_settle(now=quiet_from + timedelta(minutes=31)) == 1
    assert flapping_settle(now=quiet_from + timedelta(minutes=32)) == 0
    for notification_id in notification_ids_due(now=quiet_from + timedelta(hours=2)):
        notification_deliver(notification_id=notification_id, now=quiet_from + timedelta(hours=2))
    assert received(http_target)[-1] == "monitor.stable"
    assert json.loads(http_target.requests[-1].body)["data"]["state"] == "up"

    # The checks above stamp their state changes with the real clock, seconds apart; the next outage
    # is written as the checks app would write it 40 minutes on, past the window.
    later = quiet_from + timedelta(minutes=40)
    record_change(monitor=monitor, old="up", new="down", at=later)
    status_changes_process(now=later)
    for notification_id in notification_ids_due(now=later + timedelta(hours=1)):
        notification_deliver(notification_id=notification_id, now=later + timedelta(hours=1))
    assert received(http_target)[-1] == "monitor.down"


def test_a_few_changes_are_not_flapping(settings, alice, target, http_target):
    settings.ALERTS_FLAP_TRANSITIONS = 5
    organization = organization_of(alice)
    make_webhook(organization=organization, url=f"{http_target.url}/hook")
    monitor = make_monitor(organization=organization, url=target.url, failure_threshold=1)
    start = timezone.now()
    for n, status in enumerate([500, 200, 500, 200]):
        target.set_reply(status=status)
        run(monitor, start + timedelta(minutes=n))
    assert received(http_target) == ["monitor.down", "monitor.up", "monitor.down", "monitor.up"]
    assert not MonitorAlertState.objects.filter(monitor=monitor, flapping_since__isnull=False).exists()
