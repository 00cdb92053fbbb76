"""WH-07: a worker killed with SIGKILL in the middle of a delivery loses nothing, and sends nothing twice
that the receiver can't tell apart (the same webhook-id).

A real Celery worker (`--pool solo`, so the killed process is the one running the task) against a
private broker (Redis when REDIS_URL is set, else the embedded filesystem transport) and the test
database; tasks are sent with `celery call`, as anything outside the web process would send them.
The claim lease is 4 s here (ALERTS_CLAIM_LEASE_SECONDS, 180 s by default) so the sweep's resend
comes within the test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from standardwebhooks.webhooks import Webhook

from alerts.models import Incident, Notification
from alerts.services.notify import notifications_enqueue
from alerts.tests.factories import make_webhook, record_change
from core.tests.http_servers import ScriptedServer
from tests.e2e.test_story import _database_url
from tests.servers import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(settings.BASE_DIR)
REDIS_DB = 14  # this test's broker database on REDIS_URL's server (the end-to-end story uses 13)
LEASE_SECONDS = 4


class Celery:
    """Start, kill and call a real worker; its log is kept under tmp_path."""

    def __init__(self, tmp_path: Path) -> None:
        broker = (
            {"REDIS_URL": urlsplit(settings.REDIS_URL)._replace(path=f"/{REDIS_DB}").geturl()}
            if settings.REDIS_URL
            else {"REDIS_URL": "", "BROKER_DIR": str(tmp_path / "broker")}
        )
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DATABASE_URL": _database_url(),
            "ALLOW_PRIVATE_TARGETS": "true",
            "ALERTS_CLAIM_LEASE_SECONDS": str(LEASE_SECONDS),
            "ALERTS_WEBHOOK_TIMEOUT_MS": "2000",
            "ALERTS_DIGEST_HOLD_SECONDS": "0",
            "LOG_LEVEL": "INFO",
            **broker,
        }
        self.tmp_path = tmp_path
        self.workers: list[subprocess.Popen] = []
        self.command = [sys.executable, "-m", "celery", "-A", "config"]
        self._run("purge", "-f")

    def _run(self, *args: str) -> None:
        subprocess.run(  # noqa: S603 - our own celery command line
            [*self.command, *args], env=self.env, cwd=BASE_DIR, check=True, capture_output=True, timeout=60
        )

    def start_worker(self) -> subprocess.Popen:
        log = open(self.tmp_path / f"worker-{len(self.workers)}.log", "w")  # noqa: SIM115 - closed by the OS at exit
        worker = subprocess.Popen(  # noqa: S603 - our own celery command line
            [
                *self.command,
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
                "--hostname",
                f"wh07-{len(self.workers)}@%h",
            ],
            env=self.env,
            cwd=BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.workers.append(worker)
        return worker

    def call(self, task: str, *args: int) -> None:
        self._run("call", task, "--args", str(list(args)))

    def stop(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=10)


@pytest.fixture
def celery(tmp_path: Path) -> Iterator[Celery]:
    runner = Celery(tmp_path)
    yield runner
    runner.stop()


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()
    yield scripted
    scripted.stop()


def _notification(monitor, channel) -> Notification:
    change = record_change(monitor=monitor, old="up", new="down")
    incident = Incident.objects.filter(monitor=monitor, resolved_at=None).first() or Incident.objects.create(
        monitor=monitor, opened_at=change.created_at, cause="x"
    )
    # Created with a hold, so the test process's own (eager) on-commit task finds it not due and
    # leaves it alone; the worker is asked for it by name, at a time it is due.
    [notification_id] = notifications_enqueue(
        monitor=monitor,
        event="contract.drift",
        dedup_key=f"crash:{change.id}",
        incident=incident,
        status_change=change,
        channels=[channel],
        hold=True,
    )
    Notification.objects.filter(id=notification_id).update(next_attempt_at=change.created_at)
    return Notification.objects.get(id=notification_id)


def _route(on_request: Callable[[], None]) -> Callable:
    def route(handler) -> None:
        on_request()
        try:
            handler.send_response(200)
            handler.send_header("Content-Length", "2")
            handler.end_headers()
            handler.wfile.write(b"ok")
        except OSError:
            pass  # the worker that sent it is gone

    return route


def _status(notification: Notification) -> str:
    notification.refresh_from_db()
    return notification.status


def test_wh_07_killed_after_the_receiver_got_it_it_is_sent_again_with_the_same_webhook_id(
    settings, organization, monitor, server, celery
) -> None:
    settings.ALERTS_DIGEST_HOLD_SECONDS = 60
    hook = make_webhook(organization=organization, url=f"{server.url}/hook")
    notification = _notification(monitor, hook)
    worker = celery.start_worker()

    def kill_the_first_time() -> None:
        if len(server.requests) == 1:
            os.kill(worker.pid, signal.SIGKILL)  # the request is in; the worker dies before it stores "sent"
            worker.wait(timeout=10)

    server.routes["/hook"] = _route(kill_the_first_time)
    celery.call("alerts.deliver_notification", notification.id)
    wait_for(lambda: worker.poll() is not None, timeout=60, message="the worker to be killed mid-delivery")

    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", 1)  # claimed, outcome never stored
    assert len(server.requests) == 1

    celery.start_worker()
    time.sleep(LEASE_SECONDS + 0.5)  # the dead worker's claim runs out
    celery.call("alerts.sweep_notifications")
    wait_for(lambda: _status(notification) == "sent", timeout=60, message="the resend after the lease")

    first, second = server.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == notification.message_id
    assert first.body == second.body  # the frozen payload
    Webhook(hook.secret).verify(second.body, second.headers)
    notification.refresh_from_db()
    assert notification.attempts == 2


def test_wh_07_killed_before_sending_it_is_delivered_exactly_once_after_a_restart(
    settings, organization, monitor, server, celery
) -> None:
    settings.ALERTS_DIGEST_HOLD_SECONDS = 60
    busy = _notification(monitor, make_webhook(organization=organization, url=f"{server.url}/slow", name="slow"))
    waiting_hook = make_webhook(organization=organization, url=f"{server.url}/hook", name="waiting")
    waiting = _notification(monitor, waiting_hook)
    worker = celery.start_worker()
    server.routes["/slow"] = _route(lambda: time.sleep(1.5))
    server.routes["/hook"] = _route(lambda: None)

    celery.call("alerts.deliver_notification", busy.id)
    celery.call("alerts.deliver_notification", waiting.id)  # queued behind the busy one
    wait_for(lambda: any(r.path == "/slow" for r in server.requests), timeout=60, message="the first delivery")
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)

    assert [r.path for r in server.requests] == ["/slow"]
    waiting.refresh_from_db()
    assert (waiting.status, waiting.attempts) == ("pending", 0)  # never claimed, nothing sent

    celery.start_worker()
    celery.call("alerts.sweep_notifications")  # it is due: the sweep queues it again
    wait_for(lambda: _status(waiting) == "sent", timeout=60, message="the delivery after the restart")
    celery.call("alerts.deliver_notification", waiting.id)  # the original message coming back late
    celery.call("alerts.sweep_notifications")
    time.sleep(2)

    assert [r.path for r in server.requests if r.path == "/hook"] == ["/hook"]
    waiting.refresh_from_db()
    assert (waiting.status, waiting.attempts) == ("sent", 1)
