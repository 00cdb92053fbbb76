"""Celery tasks of the checks app: thin, idempotent wrappers around services."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task


@shared_task(name="checks.dispatch_due_checks", ignore_result=True, soft_time_limit=20, time_limit=30)
def dispatch_due_checks_task() -> int:
    """Run by beat every second: enqueue every due check slot."""
    from checks.services import checks_dispatch_due  # noqa: PLC0415

    return checks_dispatch_due()


# The longest probe is a 60 s timeout (monitors.validators.MAX_TIMEOUT_SECONDS) plus up to
# 2 s of DNS per redirect hop; the soft limit sits above that, so a slow target ends as a
# stored timeout result, never as a task killed without one.
@shared_task(name="checks.run_check", acks_late=True, ignore_result=True, soft_time_limit=80, time_limit=100)
def run_check_task(monitor_id: int, due_at: str, region: str | None = None) -> int | None:
    """Run one scheduled check. Idempotent: a redelivery returns the stored result."""
    from checks.services import check_execute  # noqa: PLC0415
    from monitors.selectors import monitor_get_active  # noqa: PLC0415

    monitor = monitor_get_active(monitor_id=monitor_id)
    if monitor is None:
        return None  # deleted or paused after it was queued
    return check_execute(monitor=monitor, due_at=datetime.fromisoformat(due_at), region=region).id
