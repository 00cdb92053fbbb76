"""python manage.py purge_results [--dry-run] [--force] [--batch-size N]: checks.retention by hand."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone


class Command(BaseCommand):
    help = (
        "Delete raw check results and heartbeat pings past each organisation's retention, and rollups "
        "past CHECKS_ROLLUP_RETENTION_DAYS, in batches. Never deletes a monitor's latest result or "
        "results that status changes (incidents) point at. On PostgreSQL, whole day partitions past every "
        "organisation's retention are dropped by manage_partitions."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Print the counts and delete nothing.")
        parser.add_argument(
            "--force", action="store_true", help="Run even when more than half of a table would be deleted."
        )
        parser.add_argument("--batch-size", type=int, default=5000, help="Rows per delete transaction.")

    def handle(self, *args: Any, **options: Any) -> None:
        from checks.retention import RetentionGuardError, retention_purge  # noqa: PLC0415

        try:
            report = retention_purge(
                now=timezone.now(),
                dry_run=options["dry_run"],
                force=options["force"],
                batch_size=options["batch_size"],
            )
        except RetentionGuardError as exc:
            raise CommandError(f"Nothing deleted: {exc}") from exc
        for line in report.lines():
            self.stdout.write(line)
        if report.dry_run:
            self.stdout.write("Dry run: nothing was deleted.")
