"""python manage.py manage_partitions [--dry-run] [--force]: checks.partitions by hand (PostgreSQL)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone


class Command(BaseCommand):
    help = (
        "Create the day partitions of check results CHECKS_PARTITION_DAYS_AHEAD days ahead, and drop the "
        "partitions older than every organisation's retention once they are rolled up, keeping each "
        "monitor's latest result and the results status changes point at. Does nothing on SQLite."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Print what would be dropped; change nothing.")
        parser.add_argument(
            "--force", action="store_true", help="Drop even when that removes more than half of the rows."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from checks.partitions import partitions_manage  # noqa: PLC0415
        from checks.retention import RetentionGuardError  # noqa: PLC0415

        try:
            report = partitions_manage(now=timezone.now(), dry_run=options["dry_run"], force=options["force"])
        except RetentionGuardError as exc:
            raise CommandError(f"Nothing dropped: {exc}") from exc
        for line in report.lines():
            self.stdout.write(line)
        if report.dry_run:
            self.stdout.write("Dry run: nothing was changed.")
