"""WH-06: a delivery never waits long and never reads much, and hanging receivers don't hold up healthy ones.

Real servers on 127.0.0.1: a port whose accept queue is full (a connect that hangs like a blackholed
address), a receiver that never answers, one that sends 100 MB, and 20 hanging receivers next to a
healthy one (20, not the case's 200: two cores are shared by six people here).
"""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from alerts.models import Incident, Notification
from alerts.services import notification_deliver
from alerts.services.notify import notifications_enqueue
from alerts.tests.factories import make_webhook, record_change
from core.tests.http_servers import ScriptedServer
from core.tests.test_http_limits import HUNDRED_MB, MB, Sent, big_body, full_backlog  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


def _notification(monitor, channel, *, hold: bool = False) -> Notification:
    """A pending notification for `channel`; with `hold`, due ALERTS_DIGEST_HOLD_SECONDS from now, so
    the on-commit task of a transactional test finds it not due yet and leaves it to the test."""
    change = record_change(monitor=monitor, old="up", new="down")
    incident = Incident.objects.filter(monitor=monitor, resolved_at=None).first() or Incident.objects.create(
        monitor=monitor, opened_at=change.created_at, cause="x"
    )
    [notification_id] = notifications_enqueue(
        monitor=monitor,
        event="contract.drift" if hold else "monitor.down",  # a held DOWN could fold into a digest
        dedup_key=f"sc:{change.id}",
        incident=incident,
        status_change=change,
        channels=[channel],
        hold=hold,
    )
    return Notification.objects.get(id=notification_id)


def _hang(seconds: float):
    def route(handler) -> None:
        time.sleep(seconds)  # the request was read; no answer comes

    return route


@pytest.fixture
def server():
    scripted = ScriptedServer()
    yield scripted
    scripted.stop()


def test_wh_06_the_default_timeouts_are_5_s_connect_and_15_s_total(settings) -> None:
    assert (settings.ALERTS_WEBHOOK_CONNECT_TIMEOUT_MS, settings.ALERTS_WEBHOOK_TIMEOUT_MS) == (5_000, 15_000)


def test_wh_06_a_blackholed_endpoint_ends_the_attempt_at_the_connect_timeout(
    organization,
    monitor,
    full_backlog,  # noqa: F811
) -> None:
    hook = make_webhook(organization=organization, url=f"http://127.0.0.1:{full_backlog}/hook")
    notification = _notification(monitor, hook)

    started = time.monotonic()
    outcome = notification_deliver(notification_id=notification.id)
    took = time.monotonic() - started

    assert outcome.status == "pending" and outcome.error.startswith("connect_timeout")
    assert 4.5 <= took < 6.5  # the default 5 s connect timeout, not the 15 s total


def test_wh_06_a_receiver_that_never_answers_ends_at_the_total_timeout(settings, organization, monitor, server) -> None:
    settings.ALERTS_WEBHOOK_TIMEOUT_MS = 2_000
    server.routes["/hook"] = _hang(10)
    notification = _notification(monitor, make_webhook(organization=organization, url=f"{server.url}/hook"))

    started = time.monotonic()
    outcome = notification_deliver(notification_id=notification.id)

    assert time.monotonic() - started < 3
    assert outcome.status == "pending" and "timeout" in outcome.error


def test_wh_06_a_hundred_mb_answer_is_read_only_to_64_kb(organization, monitor, server) -> None:
    sent = Sent()
    server.routes["/hook"] = big_body(sent, total=HUNDRED_MB, mode="length")
    notification = _notification(monitor, make_webhook(organization=organization, url=f"{server.url}/hook"))

    started = time.monotonic()
    outcome = notification_deliver(notification_id=notification.id)

    assert outcome.status == "sent"  # a 200 is a 200; the body is not ours to read
    assert time.monotonic() - started < 5
    assert sent.done.wait(10)
    assert sent.bytes < 16 * MB  # 64 KB read, plus what the kernels' socket buffers held


@pytest.mark.django_db(transaction=True)
def test_wh_06_healthy_deliveries_keep_flowing_while_twenty_endpoints_hang(
    settings, organization, monitor, server, http_target
) -> None:
    settings.ALERTS_WEBHOOK_TIMEOUT_MS = 6_000
    settings.ALERTS_DIGEST_HOLD_SECONDS = 60
    server.routes["/hang"] = _hang(8)
    hanging = [
        _notification(
            monitor, make_webhook(organization=organization, url=f"{server.url}/hang", name=f"hang {i}"), hold=True
        )
        for i in range(20)
    ]
    healthy_hook = make_webhook(organization=organization, url=f"{http_target.url}/ok", name="healthy")
    healthy = [_notification(monitor, healthy_hook, hold=True) for _ in range(20)]
    due = timezone.now() + timedelta(seconds=61)
    latencies: list[float] = []
    lock = threading.Lock()

    def deliver(notification_id: int, *, measure: bool) -> str:
        try:
            started = time.monotonic()
            status = notification_deliver(notification_id=notification_id, now=due).status
            if measure:
                with lock:
                    latencies.append(time.monotonic() - started)
            return status
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=40) as pool:
        stuck = [pool.submit(deliver, n.id, measure=False) for n in hanging]
        time.sleep(0.5)  # every hanging delivery is waiting on its receiver now
        flowing = [pool.submit(deliver, n.id, measure=True) for n in healthy]
        healthy_statuses = [f.result(timeout=30) for f in flowing]
        early = [f.exception() or f.result() for f in stuck if f.done()]
        assert early == [], f"the hanging ones were still hanging meanwhile: {early[:3]}"
        stuck_statuses = [f.result(timeout=30) for f in stuck]

    assert healthy_statuses == ["sent"] * 20
    assert stuck_statuses == ["pending"] * 20
    p95 = statistics.quantiles(latencies, n=20)[-1]
    assert p95 < 2.0, f"healthy p95 {p95:.2f} s"
