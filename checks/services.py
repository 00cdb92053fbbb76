"""Use cases of the checks app: execute one check slot, record its result, dispatch due monitors."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from checks.models import CheckResult, StatusChange
from checks.probes import ProbeOutcome
from checks.retries import probe_with_retries
from checks.transitions import apply_result
from monitors.models import Monitor
from monitors.services import monitor_claim_due_batch

logger = logging.getLogger(__name__)


def check_execute(
    *, monitor: Monitor, due_at: datetime, region: str | None = None, sleep: Callable[[float], None] = time.sleep
) -> CheckResult:
    """Run the check for one (monitor, region, due_at) slot and store its result.

    A failed probe is retried up to monitor.retries times inside the run (checks.retries); the
    stored result is the last attempt's, with details["attempts"]. Idempotent: a redelivered task
    finds the stored result and returns it without probing again; two racing runs store one
    result and one StatusChange (the unique slot wins).
    """
    region = region or settings.CHECK_REGION
    slot = {"monitor": monitor, "region": region, "due_at": due_at}
    if done := CheckResult.objects.filter(**slot).first():
        return done
    outcome = probe_with_retries(monitor=monitor, sleep=sleep)  # network I/O, outside any transaction
    return check_result_record(monitor=monitor, region=region, due_at=due_at, outcome=outcome)


def check_result_record(*, monitor: Monitor, region: str, due_at: datetime, outcome: ProbeOutcome) -> CheckResult:
    """Store the outcome of one (monitor, region, due_at) slot and advance the monitor's state.

    Used by check_execute (scheduled probes) and by heartbeats (pings and lateness). A successful
    outcome slower than monitor.degraded_latency_ms is stored as degraded. Idempotent: if the slot
    already has a result (a redelivery, or a racing run), that result stands and nothing else is
    written. A state flip writes a StatusChange (never into or inside maintenance) and nudges its
    consumer on commit.
    """
    slot = {"monitor": monitor, "region": region, "due_at": due_at}
    outcome = _latency_verdict(outcome=outcome, degraded_latency_ms=monitor.degraded_latency_ms)
    try:
        with transaction.atomic():
            result = CheckResult.objects.create(**slot, **outcome.as_fields())
            change = apply_result(monitor_id=monitor.id, result=result, outcome=outcome)
    except IntegrityError:
        # Another delivery of the same slot committed first; its result stands.
        return CheckResult.objects.get(**slot)
    logger.info(
        "check finished monitor=%s region=%s ok=%s degraded=%s status=%s latency_ms=%s error_kind=%s",
        monitor.id,
        region,
        outcome.ok,
        outcome.degraded,
        outcome.status_code,
        outcome.latency_ms,
        outcome.error_kind or "-",
    )
    if change is not None:
        transaction.on_commit(_nudge_outbox_consumer)
    return result


# The app that consumes the StatusChange outbox (alerts) registers this task. checks knows
# only its name, never the module (imports point down, STYLE R2/R3).
OUTBOX_CONSUMER_TASK = "alerts.process_status_changes"


def _nudge_outbox_consumer() -> None:
    """Ask the outbox consumer to run now; its periodic sweep covers a nudge that is lost."""
    task = current_app.tasks.get(OUTBOX_CONSUMER_TASK)
    if task is None:
        return  # no consumer installed: the rows wait, durable, for whoever claims them
    try:
        task.delay()
    except OperationalError:
        logger.warning("broker unreachable: status change left for the sweep")


def _latency_verdict(*, outcome: ProbeOutcome, degraded_latency_ms: int | None) -> ProbeOutcome:
    """The outcome, marked degraded when it succeeded slower than the monitor's threshold."""
    slow = (
        outcome.ok
        and degraded_latency_ms is not None
        and outcome.latency_ms is not None
        and outcome.latency_ms > degraded_latency_ms
    )
    if not slow or outcome.degraded:
        return outcome
    return replace(outcome, degraded=True, details={**outcome.details, "slow": True})


def status_change_claim(*, status_change_id: int, now: datetime) -> bool:
    """Mark one StatusChange processed; False if another worker claimed it first.

    Only the claimer goes on to notify, so two workers never both send (healthchecks'
    sendalerts). Call it inside the transaction that does the work, so a crash un-claims it.
    """
    claimed = StatusChange.objects.filter(id=status_change_id, processed_at=None).update(processed_at=now)
    return claimed == 1


# One dispatch call claims batches until a batch comes back short or this many seconds have
# passed (beat calls it every second; a backlog is worked off in batches, never one query per row).
DISPATCH_BUDGET_SECONDS = 5.0


def checks_dispatch_due(*, now: datetime | None = None, limit: int | None = None) -> int:
    """Claim every due slot (in batches) and enqueue one run per region; returns how many slots were enqueued.

    monitors.services.monitor_claim_due_batch claims exactly once per slot (SKIP LOCKED on
    PostgreSQL, a conditional UPDATE elsewhere), so two dispatchers (two beats) never enqueue
    the same slot twice. A slot found too late (beat or workers were down) is skipped, not
    run, and the monitor resumes at its own next slot: an outage ends without a burst. A lost
    message costs that one slot; the monitor's next slot is already scheduled.
    """
    from checks.tasks import run_check_task  # noqa: PLC0415 - tasks import services
    from core.queues import region_queue  # noqa: PLC0415

    now = now or timezone.now()
    batch_size = limit or settings.CHECKS_DISPATCH_BATCH
    started = time.monotonic()
    enqueued = missed = 0
    while True:
        slots = monitor_claim_due_batch(now=now, limit=batch_size)
        for slot in slots:
            if slot.missed:
                missed += 1
                continue
            enqueued += 1
            # A run that has not started within one interval is stale: the next slot supersedes it.
            expires = now + timedelta(seconds=max(slot.interval_seconds, 30))
            for region in slot.regions:
                run_check_task.apply_async(
                    args=[slot.monitor_id, slot.due_at.isoformat(), region],
                    queue=region_queue(region),
                    expires=expires,
                )
        if len(slots) < batch_size or time.monotonic() - started > DISPATCH_BUDGET_SECONDS:
            break
    if missed:
        logger.info("dispatch skipped missed slots count=%s", missed)
    return enqueued
