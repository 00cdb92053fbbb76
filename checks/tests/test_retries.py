"""Retries inside one run (issue 4 part 7): real local targets, the pauses recorded instead of slept."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import timezone

from checks.models import CheckResult
from checks.retries import backoff_seconds
from checks.services import check_execute
from checks.tests.factories import make_monitor
from checks.tests.targets import ScriptedTarget
from conftest import organization_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def target() -> Iterator[ScriptedTarget]:
    server = ScriptedTarget().start()
    yield server
    server.stop()


class Pauses(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_target_failing_once_then_succeeding_is_an_ok_run_with_two_attempts(alice, target) -> None:
    monitor = make_monitor(organization=organization_of(alice), url=target.url, retries=1)
    target.queue([503])
    pauses = Pauses()
    result = check_execute(monitor=monitor, due_at=timezone.now(), sleep=pauses)
    assert result.ok is True
    assert result.status_code == 200
    assert result.details["attempts"] == 2
    assert result.details["retried_errors"] == ["unexpected_status"]
    assert len(target.requests) == 2
    assert len(pauses) == 1
    monitor.refresh_from_db()
    assert (monitor.state, monitor.consecutive_failures) == ("up", 0)


def test_failing_every_attempt_stores_the_last_attempts_result(alice, target, settings) -> None:
    settings.CHECKS_RETRY_BASE_MS = 100
    monitor = make_monitor(organization=organization_of(alice), url=target.url, retries=3)
    target.queue([500, 502, 503])
    target.set_reply(status=504)
    pauses = Pauses()
    result = check_execute(monitor=monitor, due_at=timezone.now(), sleep=pauses)
    assert (result.ok, result.status_code) == (False, 504)
    assert result.details["attempts"] == 4
    assert len(target.requests) == 4
    # Exponential with ±20 % jitter: 0.1, 0.2, 0.4 s.
    for n, pause in enumerate(pauses):
        assert 0.1 * 2**n * 0.8 <= pause <= 0.1 * 2**n * 1.2
    assert CheckResult.objects.filter(monitor=monitor).count() == 1
    monitor.refresh_from_db()
    assert monitor.consecutive_failures == 1  # one run, one failure, however many attempts


def test_zero_retries_probes_once(alice, target) -> None:
    monitor = make_monitor(organization=organization_of(alice), url=target.url, retries=0)
    target.set_reply(status=500)
    result = check_execute(monitor=monitor, due_at=timezone.now(), sleep=Pauses())
    assert (result.ok, result.details["attempts"]) == (False, 1)
    assert len(target.requests) == 1


def test_a_blocked_address_is_not_retried(alice, target, settings) -> None:
    monitor = make_monitor(organization=organization_of(alice), url=target.url, retries=3)
    settings.ALLOW_PRIVATE_TARGETS = False  # 127.0.0.1 is now refused by the network guard
    pauses = Pauses()
    result = check_execute(monitor=monitor, due_at=timezone.now(), sleep=pauses)
    assert (result.ok, result.error_kind) == (False, "blocked_address")
    assert result.details["attempts"] == 1
    assert pauses == [] and target.requests == []


def test_no_retry_that_would_outlast_the_interval(alice, target) -> None:
    # A 30 s probe deadline in a 30 s interval: a second attempt could not end before the next run.
    monitor = make_monitor(
        organization=organization_of(alice), url=target.url, retries=2, interval_seconds=30, timeout_seconds=30
    )
    target.set_reply(status=500)
    pauses = Pauses()
    result = check_execute(monitor=monitor, due_at=timezone.now(), sleep=pauses)
    assert result.details["attempts"] == 1
    assert pauses == []


def test_retries_really_sleep_with_the_test_setting_small(alice, target) -> None:
    """The default sleep is time.sleep; CHECKS_RETRY_BASE_MS = 5 in test settings keeps it fast."""
    monitor = make_monitor(organization=organization_of(alice), url=target.url, retries=2)
    target.queue([500, 500])
    started = timezone.now()
    result = check_execute(monitor=monitor, due_at=started)
    assert (result.ok, result.details["attempts"]) == (True, 3)
    assert (timezone.now() - started).total_seconds() < 5


@pytest.mark.parametrize("attempt", [0, 1, 2, 5])
def test_backoff_doubles_within_jitter(attempt: int) -> None:
    low = backoff_seconds(attempt, base_ms=500, jitter=lambda a, b: a)
    high = backoff_seconds(attempt, base_ms=500, jitter=lambda a, b: b)
    assert low == pytest.approx(0.5 * 2**attempt * 0.8)
    assert high == pytest.approx(0.5 * 2**attempt * 1.2)
    assert low <= backoff_seconds(attempt, base_ms=500) <= high
