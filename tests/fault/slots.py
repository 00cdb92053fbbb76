"""seed_monitors and verify_results of the fault harness (RELIABILITY §4), as functions and a CLI.

    python -m tests.fault.slots seed --count 200 --url http://127.0.0.1:58081/slow?ms=3000 --interval 30
    python -m tests.fault.slots verify --since 2026-01-01T00:00:00+00:00 [--until ...]
verify prints the slots owed, stored, missing and duplicated and exits 1 on any missing or duplicate.
Both need Django set up on the harness's database (DJANGO_SETTINGS_MODULE, DATABASE_URL).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta


def seed_monitors(*, count: int, url: str, interval: int, timeout: int = 10, prefix: str = "fault") -> list[int]:
    """`count` HTTP monitors created through monitor_create (first checks spread over min(interval, 60 s))."""
    from accounts.services import user_create  # noqa: PLC0415
    from monitors.services import monitor_create  # noqa: PLC0415

    stamp = datetime.now().strftime("%H%M%S%f")  # noqa: DTZ005 - a unique name, not a time
    user = user_create(email=f"{prefix}-{stamp}@example.com", password="x" * 16, organization_name=f"{prefix} {stamp}")
    organization = user.memberships.first().organization
    return [
        monitor_create(
            organization=organization,
            name=f"{prefix}{i}",
            url=url,
            interval_seconds=interval,
            timeout_seconds=timeout,
            retries=0,
        ).id
        for i in range(count)
    ]


@dataclass
class SlotReport:
    owed: int = 0
    stored: int = 0
    missing: list[tuple[int, datetime]] = field(default_factory=list)
    duplicates: list[tuple[int, datetime, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.duplicates

    def line(self) -> str:
        return (
            f"slots owed {self.owed}, stored {self.stored}, missing {len(self.missing)},"
            f" duplicated {len(self.duplicates)}"
        )


def grid_anchors(monitor_ids: list[int]) -> dict[int, tuple[datetime, int]]:
    """Each monitor's next slot now and its interval: the grid the following slots are owed on."""
    from monitors.models import Monitor  # noqa: PLC0415

    return {
        row[0]: (row[1], row[2])
        for row in Monitor.objects.filter(id__in=monitor_ids).values_list("id", "next_check_at", "interval_seconds")
    }


def verify_results(*, anchors: dict[int, tuple[datetime, int]], until: datetime) -> SlotReport:
    """Every grid slot from each anchor up to `until` must have exactly one result (any region)."""
    from django.db.models import Count  # noqa: PLC0415

    from checks.models import CheckResult  # noqa: PLC0415

    report = SlotReport()
    since = min((anchor for anchor, _ in anchors.values()), default=until)
    stored: dict[tuple[int, datetime], int] = {
        (row["monitor_id"], row["due_at"]): row["n"]
        for row in CheckResult.objects.filter(monitor_id__in=list(anchors), due_at__gte=since, due_at__lt=until)
        .values("monitor_id", "due_at")
        .annotate(n=Count("id"))
    }
    for monitor_id, (anchor, interval) in anchors.items():
        due = anchor
        while due < until:
            report.owed += 1
            count = stored.get((monitor_id, due), 0)
            if count == 0:
                report.missing.append((monitor_id, due))
            else:
                report.stored += 1
                if count > 1:
                    report.duplicates.append((monitor_id, due, count))
            due += timedelta(seconds=interval)
    return report


def duplicate_slots() -> int:
    """RELIABILITY's duplicate check over the whole table: (monitor, region, due_at) groups with more than one row."""
    from django.db.models import Count  # noqa: PLC0415

    from checks.models import CheckResult  # noqa: PLC0415

    return CheckResult.objects.values("monitor_id", "region", "due_at").annotate(n=Count("id")).filter(n__gt=1).count()


def main() -> int:
    import django  # noqa: PLC0415

    django.setup()
    from django.utils import timezone  # noqa: PLC0415

    from monitors.models import Monitor  # noqa: PLC0415

    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    seed = sub.add_parser("seed")
    seed.add_argument("--count", type=int, default=500)
    seed.add_argument("--url", required=True)
    seed.add_argument("--interval", type=int, default=60)
    verify = sub.add_parser("verify")
    verify.add_argument("--since", required=True, help="ISO time: slots due from then on are owed")
    verify.add_argument("--until", default="", help="ISO time (default: one minute ago)")
    args = parser.parse_args()
    if args.command == "seed":
        ids = seed_monitors(count=args.count, url=args.url, interval=args.interval)
        sys.stdout.write(f"seeded {len(ids)} monitors\n")
        return 0
    since = datetime.fromisoformat(args.since)
    until = datetime.fromisoformat(args.until) if args.until else timezone.now() - timedelta(minutes=1)
    anchors = {}
    for monitor_id, next_at, interval in Monitor.objects.filter(paused=False).values_list(
        "id", "next_check_at", "interval_seconds"
    ):
        step = timedelta(seconds=interval)
        anchors[monitor_id] = (next_at - step * ((next_at - since) // step), interval)  # first grid point >= since
    report = verify_results(anchors=anchors, until=until)
    sys.stdout.write(report.line() + f"; whole-table duplicate slots {duplicate_slots()}\n")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
