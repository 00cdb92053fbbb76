"""Baseline versions of a monitor's contract: learn, accept a drift, pin a schema, relearn; the outbox claim.

Every write that creates a version locks the monitor's row first, so versions count up without
gaps or clashes and at most one baseline is current (learning or active) — the same lock
the check write path (checks.services) holds while drift_observe runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from celery import current_app
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.services import Actor, audit_record
from checks import shapes
from checks.models import ContractBaseline, DriftEvent
from monitors.models import Monitor

logger = logging.getLogger(__name__)

# The app that consumes the DriftEvent outbox (alerts) registers this task; checks knows only
# its name (imports point down, STYLE R2/R3).
NUDGE_TASK = "alerts.process_drift_events"
CURRENT = (ContractBaseline.Status.LEARNING, ContractBaseline.Status.ACTIVE)
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def nudge_drift_consumer() -> None:
    """Ask the drift consumer to run now; its periodic sweep covers a nudge that is lost."""
    task = current_app.tasks.get(NUDGE_TASK)
    if task is None:
        return  # no consumer installed: the rows wait, durable, for whoever claims them
    try:
        task.delay()
    except OperationalError:
        logger.warning("broker unreachable: drift event left for the sweep")


def drift_event_claim(*, drift_event_id: int, now: datetime) -> bool:
    """Mark one DriftEvent processed; False if another worker claimed it first.

    Only the claimer goes on to notify. Call it inside the transaction that does the work, so a
    crash un-claims it (like checks.services.status_change_claim).
    """
    claimed = DriftEvent.objects.filter(id=drift_event_id, processed_at=None).update(processed_at=now)
    return claimed == 1


def baseline_current_for_update(*, monitor: Monitor) -> ContractBaseline | None:
    """The monitor's learning or active baseline, row-locked; None before the first check."""
    return ContractBaseline.objects.select_for_update().filter(monitor=monitor, status__in=CURRENT).first()


def _require_http(monitor: Monitor) -> None:
    if monitor.kind != Monitor.Kind.HTTP:
        raise ValidationError("Only HTTP monitors have a response contract.")


def _lock_monitor(monitor: Monitor) -> None:
    Monitor.objects.select_for_update().filter(id=monitor.id).values_list("id", flat=True).first()


def _next_version(
    *, monitor: Monitor, now: datetime, actor: Actor | None, **fields: Any
) -> tuple[ContractBaseline, ContractBaseline | None]:
    """Supersede the current baseline and create the next version (caller holds the monitor lock)."""
    previous = baseline_current_for_update(monitor=monitor)
    if previous is not None:
        previous.status = ContractBaseline.Status.SUPERSEDED
        previous.save(update_fields=["status"])
    top = ContractBaseline.objects.filter(monitor=monitor).aggregate(top=Max("version"))["top"] or 0
    baseline = ContractBaseline.objects.create(
        monitor=monitor,
        version=top + 1,
        created_at=now,
        created_by=actor.user if actor else None,
        **fields,
    )
    return baseline, previous


def baseline_start_learning(*, monitor: Monitor, actor: Actor | None, now: datetime) -> ContractBaseline:
    """A new learning version (the first one, or after relearn / accepting a non-JSON change)."""
    baseline, _ = _next_version(
        monitor=monitor,
        now=now,
        actor=actor,
        source=ContractBaseline.Source.LEARNED,
        status=ContractBaseline.Status.LEARNING,
    )
    return baseline


@transaction.atomic
def baseline_relearn(*, monitor: Monitor, actor: Actor | None, now: datetime | None = None) -> ContractBaseline:
    """Supersede the current baseline and learn again from the next successful responses; audited."""
    _require_http(monitor)
    now = now or timezone.now()
    _lock_monitor(monitor)
    baseline = baseline_start_learning(monitor=monitor, actor=actor, now=now)
    audit_record(
        organization=monitor.organization,
        actor=actor,
        action="contract.relearn",
        target=monitor,
        data={"version": baseline.version},
    )
    return baseline


@transaction.atomic
def drift_accept(*, event: DriftEvent, actor: Actor | None, now: datetime | None = None) -> ContractBaseline:
    """Make the event's shape part of the contract: the next baseline version, active at once; audited.

    The new shape is the current baseline merged with the event's shape, so what the baseline knew
    as optional or nullable stays known (a removed field becomes optional, a retyped one a union).
    An event without a shape (the body is no longer JSON) starts learning again instead. Accepting
    an accepted event again changes nothing and returns the current baseline.
    """
    now = now or timezone.now()
    monitor = event.monitor
    _lock_monitor(monitor)
    event = DriftEvent.objects.select_for_update().get(id=event.id)
    if event.accepted_at is not None:
        current = baseline_current_for_update(monitor=monitor)
        if current is not None:
            return current
    current = baseline_current_for_update(monitor=monitor)
    if not event.shape:
        baseline = baseline_start_learning(monitor=monitor, actor=actor, now=now)
    else:
        base = current.shape if current is not None and current.shape else {}
        shape = shapes.shape_merge(base, event.shape) if base else event.shape
        baseline, _ = _next_version(
            monitor=monitor,
            now=now,
            actor=actor,
            source=ContractBaseline.Source.ACCEPTED,
            status=ContractBaseline.Status.ACTIVE,
            shape=shape,
            shape_hash=shapes.shape_hash(shape),
            activated_at=now,
        )
    event.accepted_at = now
    event.accepted_by = actor.user if actor else None
    event.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        organization=monitor.organization,
        actor=actor,
        action="drift.accepted",
        target=monitor,
        data={"drift_event": event.id, "version": baseline.version, "severity": event.severity},
    )
    return baseline


@transaction.atomic
def baseline_pin_json_schema(
    *, monitor: Monitor, schema: Mapping[str, Any], actor: Actor | None, now: datetime | None = None
) -> ContractBaseline:
    """Pin the contract to a JSON Schema: the next version, active at once; audited.

    Raises ValidationError({"json_schema": [...]}) for a schema checks.shapes cannot read.
    """
    _require_http(monitor)
    if not isinstance(schema, Mapping) or not schema:
        raise ValidationError({"json_schema": ["A JSON Schema object is required."]})
    shape = _schema_shape("json_schema", lambda: shapes.shape_from_json_schema(schema))
    return _pin(
        monitor=monitor,
        actor=actor,
        now=now,
        shape=shape,
        source=ContractBaseline.Source.JSON_SCHEMA,
        document=dict(schema),
        operation="",
    )


@transaction.atomic
def baseline_pin_openapi(
    *,
    monitor: Monitor,
    document: Mapping[str, Any],
    path: str,
    method: str,
    status: str,
    actor: Actor | None,
    now: datetime | None = None,
) -> ContractBaseline:
    """Pin the contract to one OpenAPI 3 operation's JSON response schema; audited.

    Raises ValidationError naming the field (openapi, path, method, status) that is wrong.
    """
    _require_http(monitor)
    errors: dict[str, list[str]] = {}
    if not isinstance(document, Mapping) or not document:
        errors["openapi"] = ["An OpenAPI 3 document (a JSON object) is required."]
    if not isinstance(path, str) or not path.startswith("/"):
        errors["path"] = ["The operation's path, starting with /, e.g. /orders."]
    if not isinstance(method, str) or method.lower() not in METHODS:
        errors["method"] = [f"One of {', '.join(METHODS)}."]
    if not isinstance(status, str) or not (status == "default" or (status.isdigit() and len(status) == 3)):
        errors["status"] = ["A status code such as 200, or default."]
    if errors:
        raise ValidationError(errors)
    shape = _schema_shape(
        "openapi", lambda: shapes.shape_from_openapi(document, path=path, method=method.lower(), status=status)
    )
    return _pin(
        monitor=monitor,
        actor=actor,
        now=now,
        shape=shape,
        source=ContractBaseline.Source.OPENAPI,
        document=dict(document),
        operation=f"{method.upper()} {path} {status}"[:300],
    )


def _schema_shape(field: str, build: Callable[[], shapes.Shape]) -> shapes.Shape:
    """The shape a schema describes, or ValidationError({field: ...}) when it cannot be read or says nothing."""
    try:
        shape = build()
    except (shapes.ShapeSchemaError, ValueError, TypeError, KeyError) as exc:
        raise ValidationError({field: [f"This schema cannot be used: {exc}"[:500]]}) from exc
    if shape.get("type") in ("truncated", "unknown"):
        raise ValidationError({field: ["This schema says nothing about the response's shape (no known type)."]})
    return shape


def _pin(
    *,
    monitor: Monitor,
    actor: Actor | None,
    now: datetime | None,
    shape: dict[str, Any],
    source: str,
    document: dict[str, Any],
    operation: str,
) -> ContractBaseline:
    now = now or timezone.now()
    _lock_monitor(monitor)
    baseline, _ = _next_version(
        monitor=monitor,
        now=now,
        actor=actor,
        source=source,
        status=ContractBaseline.Status.ACTIVE,
        shape=shape,
        shape_hash=shapes.shape_hash(shape),
        activated_at=now,
        schema_document=document,
        operation=operation,
    )
    audit_record(
        organization=monitor.organization,
        actor=actor,
        action="contract.pinned",
        target=monitor,
        data={"version": baseline.version, "source": source, "operation": operation},
    )
    return baseline
