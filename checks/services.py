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

from checks.drift import drift_observe_outcome
from checks.models import CheckResult, StatusChange
from checks.probes import ProbeOutcome
from checks.retries import probe_with_retries
from checks.transitions import apply_results
from monitors.models import Monitor
from monitors.services import ClaimedSlot, monitor_claim_due_batch

logger = logging.getLogger(__name__)


def check_execute(
    *,
    monitor: Monitor,
    due_at: datetime,
    region: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
    first_delivery: bool = False,
) -> CheckResult:
    """Run the check for one (monitor, region, due_at) slot and store its result.

    A failed probe is retried up to monitor.retries times inside the run (checks.retries); the
    stored result is the last attempt's, with details["attempts"]. Idempotent: a redelivered task
    finds the stored result and returns it without probing again; two racing runs store one
    result and one StatusChange (the unique slot wins). `first_delivery` (run_check counted this
    delivery as the slot's first, checks.deliveries) skips that look-up: nothing can be stored yet
    but by a racing run, and the unique slot settles that one.
    """
    region = region or settings.CHECK_REGION
    if not first_delivery and (
        done := CheckResult.objects.filter(monitor=monitor, region=region, due_at=due_at).first()
    ):
        return done
    outcome = probe_with_retries(monitor=monitor, sleep=sleep)  # network I/O, outside any transaction
    return check_result_record(monitor=monitor, region=region, due_at=due_at, outcome=outcome)


def check_record_worker_lost(*, monitor: Monitor, region: str, due_at: datetime, deliveries: int) -> CheckResult:
    """The dead letter of a run delivered too often (its worker died each time): a failed result, no probe.

    The slot gets error_kind=worker_lost, so the monitor's state moves as for any failed check and
    the poison run is acked instead of looping (RELIABILITY CEL-10). Idempotent like any result.
    """
    if done := CheckResult.objects.filter(monitor=monitor, region=region, due_at=due_at).first():
        return done
    logger.warning("check abandoned monitor=%s region=%s deliveries=%s", monitor.id, region, deliveries)
    outcome = ProbeOutcome(
        started_at=timezone.now(),
        ok=False,
        error_kind="worker_lost",
        error=f"The check's worker process died {deliveries - 1} times running it; it was not run again.",
        details={"deliveries": deliveries},
    )
    return check_result_record(monitor=monitor, region=region, due_at=due_at, outcome=outcome)


def check_result_record(*, monitor: Monitor, region: str, due_at: datetime, outcome: ProbeOutcome) -> CheckResult:
    """Store the outcome of one (monitor, region, due_at) slot and advance the monitor's state.

    Used by check_execute (scheduled probes) and by heartbeats (pings and lateness). A successful
    outcome slower than monitor.degraded_latency_ms is stored as degraded. Idempotent: if the slot
    already has a result (a redelivery, or a racing run), that result stands and nothing else is
    written. A state flip writes a StatusChange (never into or inside maintenance) and nudges its
    consumer on commit.
    """
    try:
        return _store(region=region, recorded=[(monitor, due_at, outcome)])[0]
    except IntegrityError:
        # Another delivery of the same slot committed first; its result stands.
        return CheckResult.objects.get(monitor=monitor, region=region, due_at=due_at)


Recorded = tuple[Monitor, datetime, ProbeOutcome]  # (monitor, due_at, outcome) of one slot


def check_results_record(*, region: str, recorded: list[Recorded]) -> list[CheckResult]:
    """Store many slots' outcomes of one region at once: check_result_record without a round trip per row.

    Exactly check_result_record's outcome for each slot; when a slot already has a result (a
    redelivery or a racing run: the unique slot refuses the insert), the whole group is rolled back
    and stored slot by slot through check_result_record, where the stored result stands.
    """
    if not recorded:
        return []
    try:
        return _store(region=region, recorded=recorded)
    except IntegrityError:
        return [
            check_result_record(monitor=monitor, region=region, due_at=due_at, outcome=outcome)
            for monitor, due_at, outcome in recorded
        ]


def _store(*, region: str, recorded: list[Recorded]) -> list[CheckResult]:
    """One transaction for any number of slots: one multi-row INSERT of the results, then
    checks.transitions.apply_results (a handful of set-based statements for all of them), then
    contract drift (after the monitor row locks). Raises IntegrityError, storing nothing, when a
    slot already has a result."""
    stored: list[tuple[CheckResult, Monitor, ProbeOutcome]] = []
    for monitor, due_at, outcome in recorded:
        judged = _latency_verdict(outcome=outcome, degraded_latency_ms=monitor.degraded_latency_ms)
        result = CheckResult(monitor=monitor, region=region, due_at=due_at, **judged.as_fields())
        stored.append((result, monitor, judged))
    with transaction.atomic():
        CheckResult.objects.bulk_create([result for result, _, _ in stored])  # sets each result's id
        changes = apply_results(applied=[(result, outcome) for result, _, outcome in stored])
        for result, monitor, outcome in stored:
            drift_observe_outcome(monitor=monitor, result=result, outcome=outcome)
    for result, _, outcome in stored:
        _log_finished(result=result, outcome=outcome)
    if changes:
        transaction.on_commit(_nudge_outbox_consumer)
    return [result for result, _, _ in stored]


def _log_finished(*, result: CheckResult, outcome: ProbeOutcome) -> None:
    logger.info(
        "check finished monitor=%s region=%s ok=%s degraded=%s status=%s latency_ms=%s error_kind=%s",
        result.monitor_id,
        result.region,
        outcome.ok,
        outcome.degraded,
        outcome.status_code,
        outcome.latency_ms,
        outcome.error_kind or "-",
    )


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
EXPIRY_GRACE_SECONDS = 30
# The most a batch is sent ahead of its first slot (CHECKS_DISPATCH_LOOKAHEAD_MS is capped here).
MAX_LEAD_SECONDS = 5


def dispatch_lookahead() -> timedelta:
    """How far ahead of their due time slots are claimed and sent: CHECKS_DISPATCH_LOOKAHEAD_MS, capped."""
    return timedelta(milliseconds=max(0, min(settings.CHECKS_DISPATCH_LOOKAHEAD_MS, MAX_LEAD_SECONDS * 1000)))


def checks_dispatch_due(*, now: datetime | None = None, limit: int | None = None) -> int:
    """Claim every slot due by now + CHECKS_DISPATCH_LOOKAHEAD_MS (in batches) and enqueue them; returns how many.

    monitors.services.monitor_claim_due_batch claims exactly once per slot (SKIP LOCKED on
    PostgreSQL, a conditional UPDATE elsewhere), so two dispatchers (two beats) never enqueue
    the same slot twice. A slot found too late (beat or workers were down) is skipped, not
    run, and the monitor resumes at its own next slot: an outage ends without a burst. A lost
    message costs that one slot; the monitor's next slot is already scheduled.

    Slots are claimed up to the lookahead (one beat tick, 1 s) before they are due and sent with a
    countdown to their batch's first slot, and each probe waits for its own due_at (checks.batch):
    a check starts at its due time, not at the first tick after it (up to a second later) plus
    the dispatch, and never before it.
    """
    now = now or timezone.now()
    lookahead = dispatch_lookahead()
    batch_size = limit or settings.CHECKS_DISPATCH_BATCH
    started = time.monotonic()
    enqueued = missed = 0
    while True:
        # Claim and publish in one transaction: a dispatcher killed (or a broker lost) between the two
        # rolls the claim back, and the next tick claims those slots again. Committing first lost
        # them: claimed, never sent (RELIABILITY CEL-03, a pool child SIGKILLed mid-dispatch). Killed
        # after publishing but before the commit, a slot is sent twice; the unique slot keeps one result.
        with transaction.atomic():
            slots = monitor_claim_due_batch(now=now, limit=batch_size, until=now + lookahead)
            runnable = [slot for slot in slots if not slot.missed]
            _enqueue_runs(runnable, now=now)
        missed += len(slots) - len(runnable)
        enqueued += len(runnable)
        if len(slots) < batch_size or time.monotonic() - started > DISPATCH_BUDGET_SECONDS:
            break
    if missed:
        logger.info("dispatch skipped missed slots count=%s", missed)
    return enqueued


def _enqueue_runs(slots: list[ClaimedSlot], *, now: datetime) -> None:
    """Send the claimed slots per region, CHECKS_BATCH_SIZE to a checks.run_checks message (checks.batch).

    A batch whose first slot is still ahead is sent with a countdown to it (at most
    MAX_LEAD_SECONDS). A message that has not started within its slots' shortest interval
    (+ EXPIRY_GRACE_SECONDS) is stale and expires: the next slots supersede it, and an overloaded
    worker sheds old slots instead of falling further behind. The grace lets a message held by a
    worker that was killed come back through the visibility timeout while still useful
    (RELIABILITY CEL-04: 30 s).
    """
    from checks.tasks import run_checks_task  # noqa: PLC0415 - tasks import services
    from core.queues import region_queue  # noqa: PLC0415

    by_region: dict[str, list[ClaimedSlot]] = {}
    for slot in sorted(slots, key=lambda slot: slot.due_at):
        for region in slot.regions:
            by_region.setdefault(region, []).append(slot)
    size = max(1, settings.CHECKS_BATCH_SIZE)
    for region, region_slots in by_region.items():
        for start in range(0, len(region_slots), size):
            chunk = region_slots[start : start + size]
            interval = min(slot.interval_seconds for slot in chunk)
            args = [region, [[slot.monitor_id, slot.due_at.isoformat()] for slot in chunk]]
            queue = region_queue(region)
            expires = now + timedelta(seconds=max(interval, 30) + EXPIRY_GRACE_SECONDS)
            lead = (chunk[0].due_at - now).total_seconds()
            if lead <= MAX_LEAD_SECONDS and lead > 0:
                run_checks_task.apply_async(args=args, queue=queue, expires=expires, countdown=lead)
            else:
                run_checks_task.apply_async(args=args, queue=queue, expires=expires)
