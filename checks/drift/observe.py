"""Watching a monitor's responses for contract drift: learn the baseline, confirm a change, write the event.

Runs inside the transaction that stores the check results (checks.services), after the monitor's row lock is
taken (checks.transitions.apply_results), so every region's results of one monitor are observed
one at a time and the learning/confirmation counters never race.

The rules, each for a reason:
- A truncated body (IN-06) is never compared: its end is missing, not changed.
- A shape cut short by checks.shapes' limits (`bounded`) is recorded (hash, sample) but never
  learned from or alerted on: the part that was cut off is unknown.
- A response that matches the baseline (checks.shapes.shape_matches) is no drift, whatever its
  values; it resets a pending candidate, so a change must be seen in
  monitor.contract_confirmations *consecutive* responses before it becomes an event.
- The candidate is identified by its change set (not the response's exact shape), so responses
  that carry the same change but differ in optional fields confirm one another.
- One DriftEvent per (baseline, change set): the same change is never reported twice.
- Every event is an outbox row (processed_at empty). Whether it notifies is the alerts app's
  call: severity "additive" (only additions) alerts only when monitor.contract_alert_additive is
  on or a drift alert rule asks for additive changes (alerts.services.drift).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from checks import shapes
from checks.drift.store import (
    NUDGE_TASK,
    baseline_current_for_update,
    baseline_start_learning,
    nudge_drift_consumer,
)
from checks.jsonsafe import JsonOutcome
from checks.models import CheckResult, ContractBaseline, DriftEvent, ShapeSample
from checks.probes.outcome import ProbeOutcome
from monitors.models import Monitor

logger = logging.getLogger(__name__)

# Parse outcomes of checks.jsonsafe that mean "this is not JSON any more" (a drift), as opposed
# to "JSON too deep or too large to look at" (bounded: recorded, never alerted on).
NOT_JSON_KINDS = frozenset({"non_json", "invalid_number"})
BOUNDED_KINDS = frozenset({"too_deep", "too_large"})
MAX_SAMPLES_PER_MONITOR = 100

__all__ = ["NUDGE_TASK", "Observation", "drift_observe", "drift_observe_outcome", "is_json_content_type"]


@dataclass(frozen=True)
class Observation:
    """What drift_observe did with one response (for logs and tests)."""

    action: str  # skipped | bounded | learning | learned | matched | pending | event | duplicate
    shape_hash: str = ""
    event: DriftEvent | None = None


def is_json_content_type(content_type: str) -> bool:
    """application/json, application/problem+json, application/vnd.api+json, … (parameters ignored)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json") or media.endswith("/json")


def drift_observe_outcome(*, monitor: Monitor, result: CheckResult, outcome: ProbeOutcome) -> Observation:
    """check_result_record's one call: observe a successful HTTP response when the monitor tracks its contract.

    Runs in a savepoint: should observing fail, the check result and the state move still commit
    (uptime matters more than drift), and the failure is logged with the monitor's id.
    """
    if not (outcome.ok and monitor.track_contract and monitor.kind == Monitor.Kind.HTTP):
        return Observation("skipped")
    try:
        with transaction.atomic():
            return drift_observe(
                monitor=monitor,
                result=result,
                document=outcome.document,
                content_type=outcome.content_type,
                now=timezone.now(),
            )
    except Exception:  # noqa: BLE001 - logged; the result must not be lost to a drift failure
        logger.exception("drift observation failed monitor=%s result=%s", monitor.id, result.id)
        return Observation("failed")


def drift_observe(
    *, monitor: Monitor, result: CheckResult, document: JsonOutcome | None, content_type: str, now: datetime
) -> Observation:
    """Compare one successful response of an HTTP monitor that tracks its contract with its baseline.

    Call it inside the transaction that stored `result`, after the monitor row is locked. Sets
    result.shape_hash, stores one redacted ShapeSample per new shape, advances learning or the
    confirmation count, and writes at most one DriftEvent (nudging its consumer on commit).
    Never raises for anything a target sends.
    """
    if result.body_truncated or document is None:
        return Observation("skipped")
    baseline = baseline_current_for_update(monitor=monitor)
    if baseline is None:
        baseline = baseline_start_learning(monitor=monitor, actor=None, now=now)
    if document.kind in BOUNDED_KINDS:
        return Observation("bounded")
    if not document.ok:
        return _not_json(monitor=monitor, baseline=baseline, result=result, content_type=content_type, now=now)
    observed = shapes.shape_of(document.value)
    result.shape_hash = observed.hash
    # due_at too: on PostgreSQL results are partitioned by day on it (checks/0008).
    CheckResult.objects.filter(id=result.id, due_at=result.due_at).update(shape_hash=observed.hash)
    sample = _sample_store(monitor=monitor, observed=observed, value=document.value, content_type=content_type, now=now)
    if observed.bounded:
        return Observation("bounded", observed.hash)
    if baseline.status == ContractBaseline.Status.LEARNING:
        return _learn(monitor=monitor, baseline=baseline, observed=observed, now=now)
    if content_type and not is_json_content_type(content_type) and _baseline_was_json(monitor, baseline):
        changes = [_change("$", "content_type_changed", "json", _media(content_type))]
        return _candidate(
            monitor=monitor,
            baseline=baseline,
            result=result,
            changes=changes,
            shape=observed.shape,
            sample=sample,
            now=now,
        )
    if shapes.shape_matches(document.value, baseline.shape):
        return _matched(baseline, observed.hash)
    diff = shapes.shape_diff(baseline.shape, observed.shape, ignore_paths=monitor.contract_ignore_paths or ())
    if not diff:
        return _matched(baseline, observed.hash)  # only ignored paths changed
    changes = [change.as_dict() for change in diff]
    return _candidate(
        monitor=monitor, baseline=baseline, result=result, changes=changes, shape=observed.shape, sample=sample, now=now
    )


def _not_json(
    *, monitor: Monitor, baseline: ContractBaseline, result: CheckResult, content_type: str, now: datetime
) -> Observation:
    if baseline.status == ContractBaseline.Status.LEARNING:
        return Observation("skipped")  # nothing to compare with yet; learning waits for JSON
    changes = []
    if content_type and not is_json_content_type(content_type) and _baseline_was_json(monitor, baseline):
        changes.append(_change("$", "content_type_changed", "json", _media(content_type)))
    changes.append(_change("$", "not_json", "json", None))
    return _candidate(
        monitor=monitor, baseline=baseline, result=result, changes=changes, shape={}, sample=None, now=now
    )


def _learn(*, monitor: Monitor, baseline: ContractBaseline, observed: shapes.ShapeResult, now: datetime) -> Observation:
    """Merge one more response into a learning baseline; activate it after contract_baseline_samples."""
    merged = observed.shape if baseline.samples_seen == 0 else shapes.shape_merge(baseline.shape, observed.shape)
    baseline.shape = merged
    baseline.shape_hash = shapes.shape_hash(merged)
    baseline.samples_seen += 1
    fields = ["shape", "shape_hash", "samples_seen"]
    if baseline.samples_seen >= max(1, monitor.contract_baseline_samples):
        baseline.status = ContractBaseline.Status.ACTIVE
        baseline.activated_at = now
        fields += ["status", "activated_at"]
        logger.info("contract baseline learned monitor=%s version=%s", monitor.id, baseline.version)
    baseline.save(update_fields=fields)
    return Observation("learned" if baseline.status == ContractBaseline.Status.ACTIVE else "learning", observed.hash)


def _matched(baseline: ContractBaseline, shape_hash: str) -> Observation:
    if baseline.pending_count or baseline.pending_shape_hash:
        baseline.pending_shape_hash = ""
        baseline.pending_count = 0
        baseline.save(update_fields=["pending_shape_hash", "pending_count"])
    return Observation("matched", shape_hash)


def _candidate(
    *,
    monitor: Monitor,
    baseline: ContractBaseline,
    result: CheckResult,
    changes: list[dict[str, Any]],
    shape: dict[str, Any],
    sample: ShapeSample | None,
    now: datetime,
) -> Observation:
    """Count one more sighting of this change set; at contract_confirmations in a row, write the event."""
    key = changes_hash(changes)
    if baseline.pending_shape_hash == key:
        baseline.pending_count += 1
    else:
        baseline.pending_shape_hash, baseline.pending_count = key, 1
    baseline.save(update_fields=["pending_shape_hash", "pending_count"])
    if baseline.pending_count < max(1, monitor.contract_confirmations):
        return Observation("pending", key)
    if DriftEvent.objects.filter(baseline=baseline, shape_hash=key).exists():
        return Observation("duplicate", key)
    severity = _severity(changes)
    event = DriftEvent.objects.create(
        monitor=monitor,
        baseline=baseline,
        detected_at=now,
        severity=severity,
        changes=changes,
        shape=shape,
        shape_hash=key,
        result=result,
        sample=sample,
    )
    logger.info(
        "drift detected monitor=%s event=%s severity=%s changes=%s", monitor.id, event.id, severity, len(changes)
    )
    transaction.on_commit(nudge_drift_consumer)
    return Observation("event", key, event)


def changes_hash(changes: list[dict[str, Any]]) -> str:
    """sha256 of a change set, independent of its order: the identity of "the same change"."""
    canonical = json.dumps(sorted(changes, key=lambda c: (c["path"], c["change"])), sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _severity(changes: list[dict[str, Any]]) -> str:
    breaking = any(c.get("severity", "breaking") != DriftEvent.Severity.ADDITIVE for c in changes)
    return DriftEvent.Severity.BREAKING if breaking else DriftEvent.Severity.ADDITIVE


def _change(path: str, change: str, before: str | None, after: str | None) -> dict[str, Any]:
    return {"path": path, "change": change, "before": before, "after": after, "severity": "breaking"}


def _media(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()[:100] or "none"


def _baseline_was_json(monitor: Monitor, baseline: ContractBaseline) -> bool:
    """A pinned schema promises JSON; a learned one was JSON if the API ever labelled its body so.

    An API that always sends JSON as text/plain is not drifting when it does so again.
    """
    if baseline.source in (ContractBaseline.Source.JSON_SCHEMA, ContractBaseline.Source.OPENAPI):
        return True
    if baseline.source == ContractBaseline.Source.ACCEPTED and _content_type_change_accepted(monitor):
        return False  # someone accepted the new Content-Type: it is part of the contract now
    return ShapeSample.objects.filter(monitor=monitor, content_type__icontains="json").exists()


def _content_type_change_accepted(monitor: Monitor) -> bool:
    # Few rows (accepted events of one monitor); read only for a non-JSON Content-Type.
    accepted = DriftEvent.objects.filter(monitor=monitor, accepted_at__isnull=False).values_list("changes", flat=True)
    return any(
        isinstance(change, dict) and change.get("change") == "content_type_changed"
        for changes in accepted
        for change in (changes or [])
    )


def _sample_store(
    *, monitor: Monitor, observed: shapes.ShapeResult, value: object, content_type: str, now: datetime
) -> ShapeSample | None:
    """One capped, redacted example body per distinct shape (no headers are ever stored).

    At most MAX_SAMPLES_PER_MONITOR shapes get a sample: an API whose shape never settles must not
    grow the table without end (its results still carry their shape hash).
    """
    existing = ShapeSample.objects.filter(monitor=monitor, shape_hash=observed.hash).first()
    if existing is not None:
        return existing
    if ShapeSample.objects.filter(monitor=monitor).count() >= MAX_SAMPLES_PER_MONITOR:
        return None
    text, truncated = shapes.redact(value, max_bytes=settings.CHECKS_DRIFT_SAMPLE_BYTES)
    sample, _ = ShapeSample.objects.get_or_create(
        monitor=monitor,
        shape_hash=observed.hash,
        defaults={"content_type": content_type[:200], "body": text, "truncated": truncated, "captured_at": now},
    )
    return sample
