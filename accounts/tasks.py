"""Celery tasks of the accounts app: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task


# Acked on receipt (acks_late=False), like checks.purge_results: a run lost with its worker costs
# nothing, the next day's run carries on (CEL-01, tests/test_celery_config.py).
@shared_task(
    name="accounts.purge_deleted_accounts", acks_late=False, ignore_result=True, soft_time_limit=600, time_limit=660
)
def purge_deleted_accounts_task() -> int:
    """Run by beat daily: delete for good the accounts whose confirmed deletion is past its grace period."""
    from accounts.services.account_deletion import deleted_accounts_purge  # noqa: PLC0415

    return deleted_accounts_purge()
