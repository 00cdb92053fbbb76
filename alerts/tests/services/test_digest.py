"""Digests: many monitors of one organisation DOWN at once -> one message per channel, not one each."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from alerts.models import Notification
from alerts.selectors import notification_ids_due
from alerts.services import notification_deliver, status_changes_process
from alerts.services.digest import digests_fold
from alerts.tasks import fold_digests_task
from alerts.tests.factories import make_monitor, record_change

pytestmark = pytest.mark.django_db


def _deliver_due(now: datetime) -> None:
    """What the sweep and the delayed tasks do at `now`: one attempt of every due notification."""
    for notification_id in notification_ids_due(now=now):
        notification_deliver(notification_id=notification_id, now=now)


def _burst(organization, count: int, *, start: datetime, spread_seconds: float) -> None:
    """`count` monitors go DOWN one after another within `spread_seconds`; the clock ticks every second."""
    monitors = [
        make_monitor(organization=organization, name=f"api {i:02}", url=f"https://api{i}.example.com/")
        for i in range(count)
    ]
    step = spread_seconds / count
    for second in range(int(spread_seconds) + 120):
        now = start + timedelta(seconds=second)
        for index, monitor in enumerate(monitors):
            at = start + timedelta(seconds=index * step)
            if now - timedelta(seconds=1) < at <= now:
                record_change(monitor=monitor, old="up", new="down", cause=f"HTTP 503 from api {index:02}", at=at)
        status_changes_process(now=now)
        _deliver_due(now)


def test_fifty_monitors_down_within_a_minute_make_one_digest_per_channel(
    settings, organization, webhook, http_target
) -> None:
    settings.ALERTS_DIGEST_HOLD_SECONDS = 60
    settings.ALERTS_DIGEST_THRESHOLD = 5
    mail.outbox.clear()

    _burst(organization, 50, start=timezone.now(), spread_seconds=59)

    # The webhook receiver got one message, naming all fifty monitors.
    [request] = http_target.requests
    body = json.loads(request.body)
    assert body["type"] == "digest" and body["data"]["count"] == 50
    assert {m["name"] for m in body["data"]["monitors"]} == {f"api {i:02}" for i in range(50)}
    # The owner's email channel got one email listing them.
    [email] = mail.outbox
    assert email.subject == "[Driftwatch] DOWN: 50 monitors"
    assert "api 00" in email.body and "api 49" in email.body and "HTTP 503 from api 17" in email.body
    # Each DOWN is kept, DIGESTED, pointing at its channel's digest.
    downs = Notification.objects.filter(event="monitor.down")
    assert downs.count() == 100 and set(downs.values_list("status", flat=True)) == {"digested"}
    digests = Notification.objects.filter(event="digest")
    assert digests.count() == 2 and set(digests.values_list("status", flat=True)) == {"sent"}
    for digest in digests:
        assert digest.digested.count() == 50


def test_with_the_default_hold_a_burst_within_it_is_one_digest(settings, organization, webhook, http_target) -> None:
    settings.ALERTS_DIGEST_HOLD_SECONDS = 30
    _burst(organization, 20, start=timezone.now(), spread_seconds=25)
    assert [json.loads(r.body)["type"] for r in http_target.requests] == ["digest"]


def test_below_the_threshold_they_go_out_one_by_one_after_the_hold(
    settings, organization, webhook, http_target
) -> None:
    settings.ALERTS_DIGEST_HOLD_SECONDS = 30
    settings.ALERTS_DIGEST_THRESHOLD = 5
    start = timezone.now()
    _burst(organization, 4, start=start, spread_seconds=10)

    assert [json.loads(r.body)["type"] for r in http_target.requests] == ["monitor.down"] * 4
    assert not Notification.objects.filter(event="digest").exists()
    sent_at = sorted(Notification.objects.filter(channel=webhook).values_list("sent_at", flat=True))
    assert sent_at[0] >= start + timedelta(seconds=30)  # held for the window first


def test_folding_twice_makes_one_digest_and_the_task_runs(settings, organization, webhook, http_target) -> None:
    settings.ALERTS_DIGEST_HOLD_SECONDS = 30
    now = timezone.now()
    for index in range(6):
        monitor = make_monitor(organization=organization, name=f"m{index}")
        record_change(monitor=monitor, old="up", new="down", at=now)
    status_changes_process(now=now)

    assert digests_fold(now=now) == 2  # the webhook and the owner's email channel
    assert digests_fold(now=now) == 0
    assert fold_digests_task.apply().get() == 0
    assert Notification.objects.filter(event="digest").count() == 2


def test_no_hold_means_no_digest(settings, organization, webhook, http_target) -> None:
    settings.ALERTS_DIGEST_HOLD_SECONDS = 0
    now = timezone.now()
    for index in range(6):
        record_change(monitor=make_monitor(organization=organization, name=f"m{index}"), old="up", new="down", at=now)
    status_changes_process(now=now)
    _deliver_due(now)
    assert len(http_target.requests) == 6


def test_many_recoveries_at_once_make_one_up_digest_per_channel(settings, organization, webhook, http_target) -> None:
    settings.ALERTS_DIGEST_HOLD_SECONDS = 30
    start = timezone.now()
    monitors = [make_monitor(organization=organization, name=f"m{index}") for index in range(8)]
    for monitor in monitors:
        record_change(monitor=monitor, old="up", new="down", at=start)
    status_changes_process(now=start)
    back = start + timedelta(minutes=5)
    for monitor in monitors:
        record_change(monitor=monitor, old="down", new="up", cause="HTTP 200", at=back)
    status_changes_process(now=back)
    _deliver_due(back + timedelta(seconds=31))  # the held ones fold
    _deliver_due(back + timedelta(seconds=32))  # the digests go out

    bodies = [json.loads(r.body) for r in http_target.requests]
    assert [(b["type"], b["data"]["state"], b["data"]["count"]) for b in bodies] == [
        ("digest", "down", 8),
        ("digest", "up", 8),
    ]
    [up_email] = [m for m in mail.outbox if "UP again" in m.subject]
    assert up_email.subject == "[Driftwatch] UP again: 8 monitors"
