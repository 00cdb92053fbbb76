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
    """Run one scheduled check. Idempotent: a redelivery returns the stored result.

    Each delivery is counted first (checks.deliveries): past CHECKS_MAX_DELIVERIES the run is
    recorded as error_kind=worker_lost without probing (a run that kills its worker would
    otherwise come back for ever), and only a redelivery looks for a stored result first.
    """
    from django.conf import settings  # noqa: PLC0415

    from checks.deliveries import delivery_count, max_deliveries  # noqa: PLC0415
    from checks.services import check_execute, check_record_worker_lost  # noqa: PLC0415
    from monitors.selectors import monitor_get_active  # noqa: PLC0415

    monitor = monitor_get_active(monitor_id=monitor_id)
    if monitor is None:
        return None  # deleted or paused after it was queued
    region = region or settings.CHECK_REGION
    due = datetime.fromisoformat(due_at)
    deliveries = delivery_count(monitor_id=monitor_id, region=region, due_at=due)
    if deliveries is not None and deliveries > max_deliveries():
        return check_record_worker_lost(monitor=monitor, region=region, due_at=due, deliveries=deliveries).id
    return check_execute(monitor=monitor, due_at=due, region=region, first_delivery=deliveries == 1).id


@shared_task(name="checks.run_checks", acks_late=True, ignore_result=True, soft_time_limit=80, time_limit=100)
def run_checks_task(region: str, slots: list[list]) -> int:
    """Run a batch of scheduled checks of one region (checks.batch); returns the results stored.

    A redelivered batch probes nothing itself: each slot still without a result is sent again as
    its own checks.run_check, so a slot that kills its worker is counted and stopped on its own.
    """
    from django.conf import settings  # noqa: PLC0415

    from checks.batch import batch_key, checks_execute_batch, slots_without_result  # noqa: PLC0415
    from checks.deliveries import delivery_count, message_delivery_count  # noqa: PLC0415
    from core.queues import region_queue  # noqa: PLC0415

    parsed = [(int(monitor_id), datetime.fromisoformat(due)) for monitor_id, due in slots]
    deliveries = message_delivery_count(key="batch:" + batch_key(region=region, slots=parsed))
    if deliveries is None:  # no counter: run what has no result yet
        parsed = slots_without_result(region=region, slots=parsed)
    elif deliveries > 1:
        for monitor_id, due in slots_without_result(region=region, slots=parsed):
            # The dead batch was this slot's first delivery: count it, so a poison slot is probed
            # at most CHECKS_MAX_DELIVERIES times in all (CEL-10).
            delivery_count(monitor_id=monitor_id, region=region, due_at=due)
            run_check_task.apply_async(args=[monitor_id, due.isoformat(), region], queue=region_queue(region))
        return 0
    return checks_execute_batch(region=region, slots=parsed, max_threads=settings.CHECKS_BATCH_SIZE)


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


# Acked on receipt like purge_results: every step is idempotent (a partition that exists is left,
# one already dropped is gone), so a run lost with its worker costs nothing.
@shared_task(name="checks.manage_partitions", acks_late=False, ignore_result=True, soft_time_limit=540, time_limit=600)
def manage_partitions_task() -> dict[str, int]:
    """Run by beat daily (and after every migrate): day partitions of results created ahead, expired
    ones dropped (checks.partitions; PostgreSQL only, never with force)."""
    from django.utils import timezone  # noqa: PLC0415

    from checks.partitions import partitions_manage  # noqa: PLC0415

    report = partitions_manage(now=timezone.now())
    return {"created": len(report.created), "dropped": len(report.dropped), "kept": report.rows_kept}


@shared_task(name="checks.build_rollups", acks_late=False, ignore_result=True, soft_time_limit=240, time_limit=300)
def build_rollups_task() -> int:
    """Run by beat every 5 minutes: roll up the closed hours not built yet (bounded per run), and the
    hour just closed again during its grace; idempotent (checks.rollups.rollups_build_recent)."""
    from checks.rollups import rollups_build_recent  # noqa: PLC0415

    return rollups_build_recent().hourly_rows
