"""Many check slots in one task: one message, one monitor query, the probes side by side (issue 5 part 3).

A task per check cost about 4 ms of worker CPU in Celery itself (the message, the pool hand-off,
the ack, the signals: bench/worker_cpu.py) on top of the check. The dispatcher therefore sends
the slots it claims together, per region, in messages of up to CHECKS_BATCH_SIZE. A batch:

- loads its monitors in one query (a monitor deleted or paused since the claim is skipped);
- probes them concurrently in threads (probes do no database work, checks.probes), so a slow
  target delays no other slot of the batch, and schedule lag stays that of the dispatcher;
- starts no probe before its due_at: the dispatcher sends slots up to CHECKS_DISPATCH_LOOKAHEAD_MS
  ahead (checks.services), so a probe's thread first waits for its slot (at most that long);
- stores the results as their probes finish, those that finish together (within GATHER_SECONDS
  of each other) in one transaction of a few statements (checks.services.check_results_record: one
  multi-row INSERT, the state machine set-based), so a slow target delays no other slot's result
  and a fast batch costs about 6 statements, not 6 per result. Slot by slot it is exactly the
  single-slot path (unique slot, state machine, outbox, drift): a slot that already has a result
  sends the group down check_result_record, one slot at a time, and a batch stays idempotent.

A redelivered batch (its worker died: checks.deliveries counts the message) probes nothing
itself: it re-sends every slot still without a result as its own checks.run_check, so a poison
slot that kills its worker is isolated and counted on its own (CEL-10), and the others run once.
"""

from __future__ import annotations

import hashlib
import logging
import time
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime

from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from checks.models import CheckResult
from checks.probes import ProbeOutcome
from checks.retries import probe_with_retries
from checks.services import Recorded, check_results_record, dispatch_lookahead
from monitors.models import Monitor

logger = logging.getLogger(__name__)

Slot = tuple[int, datetime]  # (monitor id, due_at)
# After a probe finishes, how long to wait for others before storing what has finished (in one go).
GATHER_SECONDS = 0.05


def batch_key(*, region: str, slots: list[Slot]) -> str:
    """A stable name for one batch message (its slots), for the delivery counter."""
    text = region + "|" + ",".join(f"{monitor_id}@{due.timestamp():.6f}" for monitor_id, due in slots)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def checks_execute_batch(*, region: str, slots: list[Slot], max_threads: int) -> int:
    """Probe every slot of the batch concurrently and store each result as it comes; returns results stored.

    The slots' monitors are loaded once; slots whose monitor is gone or paused are skipped. If the
    task's soft time limit strikes, every slot still probing is stored as a timeout, as a single
    run_check would store it.
    """
    monitors = {
        monitor.id: monitor
        for monitor in Monitor.objects.filter(id__in={monitor_id for monitor_id, _ in slots}, paused=False)
    }
    todo = [(monitors[monitor_id], due) for monitor_id, due in slots if monitor_id in monitors]
    if not todo:
        return 0
    pool = ThreadPoolExecutor(max_workers=max(1, min(max_threads, len(todo))), thread_name_prefix="probe")
    pending: dict[Future[ProbeOutcome], tuple[Monitor, datetime]] = {
        pool.submit(_probe_when_due, monitor=monitor, due=due): (monitor, due) for monitor, due in todo
    }
    stored = 0
    finished: list[Recorded] = []  # probed, not stored yet
    try:
        while pending:
            wait(pending, return_when=FIRST_COMPLETED)
            wait(pending, timeout=GATHER_SECONDS, return_when=ALL_COMPLETED)
            finished = _collect(pending=pending, region=region)
            stored += len(check_results_record(region=region, recorded=finished))
            finished = []
    except SoftTimeLimitExceeded:
        timed_out = ProbeOutcome(
            started_at=timezone.now(), ok=False, error_kind="timeout", error="The check ran out of time."
        )
        finished += [(monitor, due, timed_out) for monitor, due in pending.values()]
        stored += len(check_results_record(region=region, recorded=finished))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return stored


def _probe_when_due(*, monitor: Monitor, due: datetime) -> ProbeOutcome:
    """Probe at the slot's due time: wait for it (at most the dispatch lookahead), then probe."""
    early = (due - timezone.now()).total_seconds()
    lookahead = dispatch_lookahead().total_seconds()
    if early > 0 and lookahead > 0:
        time.sleep(min(early, lookahead))
    return probe_with_retries(monitor=monitor)


def _collect(*, pending: dict[Future[ProbeOutcome], tuple[Monitor, datetime]], region: str) -> list[Recorded]:
    """Take the finished probes out of `pending`: (monitor, due_at, outcome) of each that returned."""
    finished: list[Recorded] = []
    for future in [future for future in pending if future.done()]:
        monitor, due = pending.pop(future)
        try:
            finished.append((monitor, due, future.result()))
        except Exception:
            logger.exception("probe failed unexpectedly monitor=%s region=%s", monitor.id, region)
            # no result for this slot: as a lost message, the next slot checks it
    return finished


def slots_without_result(*, region: str, slots: list[Slot]) -> list[Slot]:
    """The slots of a batch that have no stored result yet (one query)."""
    stored = set(
        CheckResult.objects.filter(
            region=region,
            monitor_id__in={monitor_id for monitor_id, _ in slots},
            due_at__in={due for _, due in slots},
        ).values_list("monitor_id", "due_at")
    )
    return [(monitor_id, due) for monitor_id, due in slots if (monitor_id, due) not in stored]
