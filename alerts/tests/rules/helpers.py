"""Helpers of the rule tests: results written as checks writes them, and notification reads."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet

from alerts.models import Notification
from checks.models import CheckResult
from monitors.models import Monitor


def add_results(
    *,
    monitor: Monitor,
    end: datetime,
    latencies: list[int | None],
    ok: list[bool] | None = None,
    details: dict[str, object] | None = None,
    step_seconds: int = 30,
) -> None:
    """One stored result per latency, the last one just before `end`, step_seconds apart."""
    oks = ok if ok is not None else [True] * len(latencies)
    count = len(latencies)
    CheckResult.objects.bulk_create(
        CheckResult(
            monitor=monitor,
            region="local",
            due_at=end - timedelta(seconds=step_seconds * (count - index)),
            started_at=end - timedelta(seconds=step_seconds * (count - index)),
            ok=oks[index],
            latency_ms=latency,
            details=details or {},
        )
        for index, latency in enumerate(latencies)
    )


def notifications(**filters: object) -> QuerySet[Notification]:
    return Notification.objects.filter(**filters).order_by("id")
