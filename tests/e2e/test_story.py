"""The walking skeleton's story, end to end, on real parts.

A real Celery worker and beat (the dispatcher) run as subprocesses against the real broker
(Redis when REDIS_URL is set, else the embedded filesystem transport) and the test
database; a real HTTP target answers the checks, a real SMTP server (aiosmtpd) receives
the emails and a real HTTP server receives the signed webhooks. The test drives everything
through /api/v1/ on a live server, with a JWT and with an API key.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
import standardwebhooks
from django.conf import settings
from django.db import connection

from checks.models import CheckResult
from conftest import make_user
from tests.servers import HttpTarget, SmtpSink, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(settings.BASE_DIR)
E2E_REDIS_DB = 13  # the Redis database the end-to-end test's broker uses (REDIS_URL's host)


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _private_broker(tmp_path: Path) -> dict[str, str]:
    """A broker of this test's own, so it never shares queues with `make run` or another test run."""
    if settings.REDIS_URL:
        return {"REDIS_URL": urlsplit(settings.REDIS_URL)._replace(path=f"/{E2E_REDIS_DB}").geturl()}
    return {"BROKER_DIR": str(tmp_path / "broker")}


@pytest.fixture
def celery_processes(tmp_path: Path, smtp_sink: SmtpSink, live_server) -> Iterator[list[subprocess.Popen]]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": _database_url(),
        "EMAIL_URL": smtp_sink.url,
        "ALLOW_PRIVATE_TARGETS": "true",
        "MIN_CHECK_INTERVAL": "1",
        # A DOWN alert waits this long for a digest (30 s by default); short, so the story's waits hold.
        "ALERTS_DIGEST_HOLD_SECONDS": "2",
        "SITE_URL": live_server.url,
        "LOG_LEVEL": "INFO",
        **_private_broker(tmp_path),
    }
    celery = [sys.executable, "-m", "celery", "-A", "config"]
    subprocess.run([*celery, "purge", "-f"], env=env, cwd=BASE_DIR, check=True, capture_output=True, timeout=60)
    logs = {name: open(tmp_path / f"{name}.log", "w") for name in ("worker", "beat")}  # noqa: SIM115
    processes = [
        subprocess.Popen(
            [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2", "--hostname", f"e2e-{os.getpid()}@%h"],
            env=env,
            cwd=BASE_DIR,
            stdout=logs["worker"],
            stderr=subprocess.STDOUT,
        ),
        subprocess.Popen(
            [*celery, "beat", "--loglevel", "INFO", "--schedule", str(tmp_path / "beat-schedule")],
            env=env,
            cwd=BASE_DIR,
            stdout=logs["beat"],
            stderr=subprocess.STDOUT,
        ),
    ]
    try:
        yield processes
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        for name, handle in logs.items():
            handle.close()
            tail = (tmp_path / f"{name}.log").read_text()[-3000:]
            print(f"--- {name} log (tail) ---\n{tail}")  # noqa: T201 - shown by pytest on failure


def test_story_monitor_goes_down_alerts_and_recovers(
    live_server, settings, http_target: HttpTarget, smtp_sink: SmtpSink, celery_processes
) -> None:
    settings.MIN_CHECK_INTERVAL = 1
    receiver = HttpTarget().start()
    try:
        _walk_the_story(live_server.url, http_target, receiver, smtp_sink, celery_processes)
    finally:
        receiver.stop()


def _walk_the_story(base: str, target: HttpTarget, receiver: HttpTarget, smtp: SmtpSink, processes) -> None:
    api = f"{base}/api/v1"
    make_user(email="owner@example.com", password="a long enough passphrase")

    # A program logs in with a JWT.
    token = requests.post(
        f"{api}/auth/token/", json={"email": "owner@example.com", "password": "a long enough passphrase"}, timeout=10
    )
    assert token.status_code == 200, token.text
    jwt = {"Authorization": f"Bearer {token.json()['access']}"}

    # It adds a webhook channel (the email channel to the owner exists since signup).
    channel = requests.post(
        f"{api}/channels/",
        json={"kind": "webhook", "name": "ops hook", "target": f"{receiver.url}/hook"},
        headers=jwt,
        timeout=10,
    )
    assert channel.status_code == 201, channel.text
    secret = channel.json()["secret"]
    channels = requests.get(f"{api}/channels/", headers=jwt, timeout=10).json()
    assert {c["kind"] for c in channels["results"]} == {"email", "webhook"}

    # And an HTTP monitor, checked every 2 seconds.
    target.set_reply(status=200, body=b'{"orders": []}')
    created = requests.post(
        f"{api}/monitors/",
        json={"name": "orders api", "url": f"{target.url}/orders", "interval_seconds": 2, "timeout_seconds": 1},
        headers=jwt,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    monitor = created.json()
    assert monitor["state"] == "pending"
    monitor_url = f"{api}/monitors/{monitor['id']}/"

    def state() -> str:
        return requests.get(monitor_url, headers=jwt, timeout=10).json()["state"]

    wait_for(lambda: state() == "up", timeout=60, message="the first check to mark the monitor up")
    results = requests.get(f"{monitor_url}results/", headers=jwt, timeout=10).json()
    first = results["results"][-1]
    assert first["ok"] is True and first["status_code"] == 200 and first["latency_ms"] is not None
    assert {"id", "due_at", "started_at", "region", "ok", "status_code", "latency_ms", "error"} <= set(first)

    # A read-only API key sees the same monitor and cannot change it.
    key = requests.post(f"{api}/api-keys/", json={"name": "ci", "scope": "read"}, headers=jwt, timeout=10)
    assert key.status_code == 201, key.text
    by_key = {"X-Api-Key": key.json()["key"]}
    assert requests.get(monitor_url, headers=by_key, timeout=10).json()["name"] == "orders api"
    assert requests.patch(monitor_url, json={"paused": True}, headers=by_key, timeout=10).status_code == 403

    # The API starts answering 500: after two failed checks the monitor is DOWN.
    target.set_reply(status=500, body=b"internal error")
    wait_for(lambda: state() == "down", timeout=60, message="the monitor to turn down")
    failures = [
        r for r in requests.get(f"{monitor_url}results/", headers=jwt, timeout=10).json()["results"] if not r["ok"]
    ]
    assert len(failures) >= 2 and failures[0]["status_code"] == 500

    incidents = wait_for(
        lambda: requests.get(f"{api}/incidents/?monitor={monitor['id']}", headers=jwt, timeout=10).json()["results"],
        timeout=30,
        message="an open incident",
    )
    assert incidents[0]["resolved_at"] is None and "500" in incidents[0]["cause"]

    down_mail = wait_for(
        lambda: [m for m in smtp.messages if "DOWN" in m["Subject"]], timeout=30, message="the DOWN email"
    )
    assert down_mail[0]["To"] == "owner@example.com"
    assert "orders api" in down_mail[0]["Subject"]

    hooks = wait_for(
        lambda: [r for r in receiver.requests if r.path == "/hook"], timeout=30, message="the DOWN webhook"
    )
    body = hooks[0].body
    verified = standardwebhooks.Webhook(secret).verify(body, hooks[0].headers)
    assert verified["type"] == "monitor.down"
    payload = json.loads(body)
    assert payload["data"]["monitor"]["id"] == monitor["id"]
    assert payload["data"]["incident"]["id"] == incidents[0]["id"]

    # It recovers: the incident resolves and a recovery email follows.
    target.set_reply(status=200, body=b'{"orders": []}')
    wait_for(lambda: state() == "up", timeout=60, message="the monitor to recover")
    wait_for(
        lambda: requests.get(f"{api}/incidents/?monitor={monitor['id']}", headers=jwt, timeout=10).json()["results"][0][
            "resolved_at"
        ],
        timeout=30,
        message="the incident to resolve",
    )
    wait_for(lambda: [m for m in smtp.messages if "UP" in m["Subject"]], timeout=30, message="the recovery email")
    up_hooks = wait_for(
        lambda: [r for r in receiver.requests if json.loads(r.body)["type"] == "monitor.up"],
        timeout=30,
        message="the UP webhook",
    )
    standardwebhooks.Webhook(secret).verify(up_hooks[0].body, up_hooks[0].headers)

    # Exactly one DOWN and one UP notification per channel: nothing was sent twice.
    assert len([m for m in smtp.messages if "DOWN" in m["Subject"]]) == 1
    assert len([r for r in receiver.requests if json.loads(r.body)["type"] == "monitor.down"]) == 1
    assert all(p.poll() is None for p in processes), "worker and beat stayed up"
    # Slots go out a beat tick ahead (CHECKS_DISPATCH_LOOKAHEAD_MS, 1 s as shipped) with a countdown:
    # no probe started before its slot.
    slots = list(CheckResult.objects.filter(monitor_id=monitor["id"]).values_list("due_at", "started_at"))
    assert len(slots) >= 3
    assert all(started >= due for due, started in slots), slots
