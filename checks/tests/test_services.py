from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from checks.models import CheckResult, StatusChange
from checks.services import check_execute, status_change_claim
from checks.tests.factories import make_monitor
from conftest import organization_of
from monitors.models import Monitor

pytestmark = pytest.mark.django_db


@pytest.fixture
def monitor(alice, http_target) -> Monitor:
    return make_monitor(organization=organization_of(alice), url=f"{http_target.url}/health")


def test_check_execute_records_status_and_latency(monitor, http_target) -> None:
    due = timezone.now()
    result = check_execute(monitor=monitor, due_at=due)
    assert result.ok is True
    assert result.status_code == 200
    assert result.latency_ms is not None and result.latency_ms >= 0
    assert result.region == "local"
    assert http_target.requests[0].path == "/health"
    monitor.refresh_from_db()
    assert monitor.state == "up"
    assert monitor.last_status_code == 200
    assert monitor.last_checked_at == result.started_at


def test_check_execute_unexpected_status_is_a_failed_result(monitor, http_target) -> None:
    http_target.set_reply(status=500, body=b"boom")
    result = check_execute(monitor=monitor, due_at=timezone.now())
    assert result.ok is False
    assert result.status_code == 500
    assert result.error_kind == "unexpected_status"
    assert "500" in result.error


def test_check_execute_keyword_missing_fails(alice, http_target) -> None:
    monitor = make_monitor(organization=organization_of(alice), url=http_target.url, keyword="healthy")
    http_target.set_reply(status=200, body=b'{"status": "degraded"}')
    result = check_execute(monitor=monitor, due_at=timezone.now())
    assert (result.ok, result.error_kind) == (False, "keyword_missing")
    http_target.set_reply(status=200, body=b'{"status": "healthy"}')
    assert check_execute(monitor=monitor, due_at=timezone.now() + timedelta(seconds=60)).ok is True


def test_check_execute_timeout_is_data_not_an_exception(alice, http_target) -> None:
    monitor = make_monitor(organization=organization_of(alice), url=http_target.url, timeout_seconds=1)
    http_target.set_reply(status=200, delay_seconds=2.5)
    result = check_execute(monitor=monitor, due_at=timezone.now())
    assert result.ok is False
    assert result.error_kind in {"read_timeout", "timeout"}
    assert result.status_code is None


def test_check_execute_connection_refused_is_a_failed_result(alice) -> None:
    import socket

    with socket.socket() as s:  # a port that is free now and closed when the check runs
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monitor = make_monitor(organization=organization_of(alice), url=f"http://127.0.0.1:{port}/")
    result = check_execute(monitor=monitor, due_at=timezone.now())
    assert result.ok is False
    assert result.error_kind == "connection_error"


def test_down_after_two_failures_records_one_status_change(monitor, http_target) -> None:
    start = timezone.now()
    check_execute(monitor=monitor, due_at=start)
    http_target.set_reply(status=500)
    check_execute(monitor=monitor, due_at=start + timedelta(seconds=60))
    monitor.refresh_from_db()
    assert monitor.state == "up"  # one failure is not enough
    check_execute(monitor=monitor, due_at=start + timedelta(seconds=120))
    monitor.refresh_from_db()
    assert monitor.state == "down"
    http_target.set_reply(status=200)
    check_execute(monitor=monitor, due_at=start + timedelta(seconds=180))
    monitor.refresh_from_db()
    assert monitor.state == "up"
    changes = list(StatusChange.objects.filter(monitor=monitor).order_by("created_at", "id"))
    assert [(c.old_state, c.new_state) for c in changes] == [("pending", "up"), ("up", "down"), ("down", "up")]
    assert "500" in changes[1].cause
    # The outbox consumer is nudged only on commit; inside the test transaction nothing committed.
    assert all(c.processed_at is None for c in changes)


def test_status_change_is_handed_to_the_outbox_consumer_after_commit(
    monitor, http_target, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        check_execute(monitor=monitor, due_at=timezone.now())
    assert len(callbacks) == 1
    # The consumer (alerts.process_status_changes, run eagerly in tests) claimed the row.
    assert StatusChange.objects.get(monitor=monitor).processed_at is not None


def test_status_change_claim_succeeds_once(monitor, http_target) -> None:
    check_execute(monitor=monitor, due_at=timezone.now())
    change = StatusChange.objects.get(monitor=monitor)
    now = timezone.now()
    assert status_change_claim(status_change_id=change.id, now=now) is True
    assert status_change_claim(status_change_id=change.id, now=now) is False
    change.refresh_from_db()
    assert change.processed_at == now


def test_cel_02_second_run_of_a_slot_returns_stored_result(monitor, http_target) -> None:
    due = timezone.now()
    first = check_execute(monitor=monitor, due_at=due)
    http_target.set_reply(status=500)
    second = check_execute(monitor=monitor, due_at=due)
    assert second.id == first.id
    assert second.ok is True
    assert CheckResult.objects.filter(monitor=monitor).count() == 1
    assert StatusChange.objects.filter(monitor=monitor).count() == 1
    assert len(http_target.requests) == 1  # the redelivery did not probe again


def test_paused_during_probe_keeps_result_and_state(monitor, http_target) -> None:
    Monitor.objects.filter(id=monitor.id).update(paused=True, state="paused")
    result = check_execute(monitor=monitor, due_at=timezone.now())
    monitor.refresh_from_db()
    assert result.ok is True
    assert monitor.state == "paused"
    assert not StatusChange.objects.exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_cel_02_two_racing_runs_store_one_result_and_one_status_change(alice, http_target) -> None:
    monitor = make_monitor(organization=organization_of(alice), url=http_target.url)
    http_target.set_reply(status=200, delay_seconds=0.3)  # both probes are in flight together
    due = timezone.now()
    results: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        try:
            barrier.wait(timeout=5)
            results.append(check_execute(monitor=Monitor.objects.get(id=monitor.id), due_at=due).id)
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert len(http_target.requests) == 2  # both really probed
    assert len(results) == 2 and results[0] == results[1]
    assert CheckResult.objects.filter(monitor=monitor, due_at=due).count() == 1
    assert StatusChange.objects.filter(monitor=monitor).count() == 1


def test_time_limit_during_probe_stores_a_timeout_result(alice, http_target) -> None:
    """Celery's soft time limit raises SoftTimeLimitExceeded inside the task; simulate it with a timer signal."""
    import signal

    from celery.exceptions import SoftTimeLimitExceeded

    monitor = make_monitor(organization=organization_of(alice), url=http_target.url, timeout_seconds=10)
    http_target.set_reply(status=200, delay_seconds=3)

    def expire(signum, frame):  # noqa: ANN001, ARG001
        raise SoftTimeLimitExceeded()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        result = check_execute(monitor=monitor, due_at=timezone.now())
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert (result.ok, result.error_kind) == (False, "timeout")
    monitor.refresh_from_db()
    assert monitor.last_checked_at == result.started_at
    assert monitor.consecutive_failures == 1
