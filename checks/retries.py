"""Retries inside one run: a failed probe is tried again, with exponential backoff and jitter, before it counts.

No database access. check_execute calls `probe_with_retries` outside any transaction.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import replace

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils import timezone

from checks.probes import ProbeOutcome, probe
from monitors.models import Monitor

logger = logging.getLogger(__name__)

# Failures that another attempt cannot change: the guard refused the address, or the monitor's
# own configuration is unusable. Retrying them only delays the result.
NO_RETRY_KINDS = frozenset({"blocked_address", "redirect_blocked", "invalid_url", "invalid_request", "invalid_config"})
# The whole run (every attempt and every pause) ends inside run_check_task's soft time limit
# (80 s), leaving room to store the result.
RUN_BUDGET_SECONDS = 70.0
# Time a probe may take beyond its own total deadline (DNS, connection teardown).
PROBE_SLACK_SECONDS = 1.0
JITTER = 0.2  # each pause is base × 2^n, ±20 %


def backoff_seconds(attempt: int, *, base_ms: int, jitter: Callable[[float, float], float] = random.uniform) -> float:
    """The pause before retry number `attempt` + 1 (0-based): base × 2^attempt, spread by ±20 % jitter."""
    return base_ms * 2**attempt * jitter(1 - JITTER, 1 + JITTER) / 1000


def probe_with_retries(
    *,
    monitor: Monitor,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> ProbeOutcome:
    """Probe up to 1 + monitor.retries times, stopping at the first success; returns the last attempt's outcome.

    The outcome's details carry "attempts" (how many probes ran) and, after a retry, "retried_errors"
    (the error kinds of the earlier attempts). A retry that could not finish inside the run's budget
    (the soft time limit and the monitor's interval) is not started. Never raises for a failing target.
    """
    budget = min(RUN_BUDGET_SECONDS, float(monitor.interval_seconds))
    started = clock()
    earlier: list[str] = []
    attempt = 0
    while True:
        try:
            outcome = probe(monitor)
        except SoftTimeLimitExceeded:
            # The task's time limit struck mid-probe: still a result, so the state machine moves.
            outcome = ProbeOutcome(
                started_at=timezone.now(), ok=False, error_kind="timeout", error="The check ran out of time."
            )
            break
        if outcome.ok or outcome.error_kind in NO_RETRY_KINDS or attempt >= monitor.retries:
            break
        pause = backoff_seconds(attempt, base_ms=settings.CHECKS_RETRY_BASE_MS)
        if clock() - started + pause + monitor.timeout_seconds + PROBE_SLACK_SECONDS > budget:
            break
        try:
            sleep(pause)
        except SoftTimeLimitExceeded:
            break
        earlier.append(outcome.error_kind or "failed")
        attempt += 1
    details: dict[str, object] = {**outcome.details, "attempts": attempt + 1}
    if earlier:
        details["retried_errors"] = earlier
        logger.info("check retried monitor=%s attempts=%s ok=%s", monitor.id, attempt + 1, outcome.ok)
    return replace(outcome, details=details)
