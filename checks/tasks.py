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


@shared_task(name="checks.check_heartbeats", ignore_result=True, soft_time_limit=25, time_limit=30)
def check_heartbeats_task() -> int:
    """Run by beat every 30 s: record a failed result for each heartbeat monitor past its deadline."""
    from django.utils import timezone  # noqa: PLC0415

    from checks.services_heartbeats import heartbeats_check_overdue  # noqa: PLC0415

    return heartbeats_check_overdue(now=timezone.now())


@shared_task(name="checks.probe_regions", ignore_result=True, soft_time_limit=20, time_limit=30)
def probe_regions_task() -> list[str]:
    """Run by beat every 30 s: send a queue-lag probe to each region (checks.region_lag)."""
    from django.utils import timezone  # noqa: PLC0415

    from checks.region_lag import region_probes_send  # noqa: PLC0415

    return region_probes_send(now=timezone.now())


@shared_task(name="checks.region_probe", ignore_result=True, soft_time_limit=10, time_limit=20)
def region_probe_task(region: str, sent_at: str) -> None:
    """Runs on the region's own queue: record how long this message waited there."""
    from django.utils import timezone  # noqa: PLC0415

    from checks.region_lag import region_probe_record  # noqa: PLC0415

    region_probe_record(region=region, sent_at=datetime.fromisoformat(sent_at), now=timezone.now())


# Batches commit one by one, so a run stopped by the hard limit resumes where it stopped next day.
# Acked on receipt (acks_late=False), like build_rollups: a run longer than a fifth of the Redis
# visibility timeout would be handed to a second worker while the first still runs; a run lost
# with its worker costs nothing, beat starts the next one (CEL-01, tests/test_celery_config.py).
@shared_task(name="checks.purge_results", acks_late=False, ignore_result=True, soft_time_limit=3300, time_limit=3600)
def purge_results_task() -> dict[str, int]:
    """Run by beat daily: checks.retention.retention_purge, never with force (a refusal raises and logs ERROR)."""
    from django.utils import timezone  # noqa: PLC0415

    from checks.retention import retention_purge  # noqa: PLC0415

    report = retention_purge(now=timezone.now())
    return {table: purge.deleted for table, purge in report.tables.items()}


@shared_task(name="checks.build_rollups", acks_late=False, ignore_result=True, soft_time_limit=240, time_limit=300)
def build_rollups_task() -> int:
    """Run by beat every 5 minutes: roll up the closed hours not built yet (bounded per run), and the
    hour just closed again during its grace; idempotent (checks.rollups.rollups_build_recent)."""
    from checks.rollups import rollups_build_recent  # noqa: PLC0415

    return rollups_build_recent().hourly_rows
