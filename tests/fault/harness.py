"""The Celery fault scenarios' harness: helpers over the private stack, and the registry of scenarios.

Run them with `python -m tests.fault.celery_faults` (that module's docstring says how they are scaled).
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable
from datetime import datetime

from tests.fault.stack import Stack

TARGET_PORT, PROXY_PORT, CONTROL_PORT = 58080, 58081, 58099
Found = dict[str, object]


class Harness:
    def __init__(self, stack: Stack, *, monitors: int, interval: int) -> None:
        self.stack, self.monitors, self.interval = stack, monitors, interval

    # --- helpers used by the scenarios --------------------------------------------------
    def seed(
        self,
        *,
        path: str,
        count: int | None = None,
        prefix: str = "fault",
        via_proxy: bool = True,
        interval: int | None = None,
    ) -> list[int]:
        from tests.fault.slots import seed_monitors  # noqa: PLC0415

        port = PROXY_PORT if via_proxy else TARGET_PORT
        return seed_monitors(
            count=count or self.monitors,
            url=f"http://127.0.0.1:{port}{path}",
            interval=interval or self.interval,
            timeout=5,
            prefix=prefix,
        )

    def settle(self, ids: list[int]) -> dict[int, tuple[datetime, int]]:
        """Wait until every monitor has its first result, then return the grid anchors (its next slot)."""
        from checks.models import CheckResult  # noqa: PLC0415
        from tests.fault.slots import grid_anchors  # noqa: PLC0415

        deadline = time.monotonic() + 3 * self.interval + 60
        while time.monotonic() < deadline:
            if CheckResult.objects.filter(monitor_id__in=ids).values("monitor_id").distinct().count() >= len(ids):
                break
            time.sleep(1)
        return grid_anchors(ids)

    def verify(self, anchors: dict[int, tuple[datetime, int]], until: datetime) -> Found:
        from tests.fault.slots import duplicate_slots, verify_results  # noqa: PLC0415

        report = verify_results(anchors=anchors, until=until)
        return {
            "owed": report.owed,
            "stored": report.stored,
            "missing": len(report.missing),
            "duplicates": duplicate_slots(),
            "missing_examples": [(m, d.isoformat()) for m, d in report.missing[:3]],
        }

    def wait_drained(self, anchors: dict[int, tuple[datetime, int]], until: datetime, timeout: float) -> float:
        """Wait until every slot due before `until` has a result (or `timeout` s); returns the seconds waited."""
        began = time.monotonic()
        while time.monotonic() - began < timeout and self.verify(anchors, until)["missing"]:
            time.sleep(2)
        return time.monotonic() - began

    def deliveries(self) -> dict[str, int]:
        """The poison counters in Redis (checks.deliveries): the largest per single run and per batch."""
        most = {"run": 0, "batch": 0}
        for key in self.stack.redis_cli("--scan", "--pattern", "*checks:deliveries:*").split():
            value = int(self.stack.redis_cli("get", key) or 0)
            kind = "batch" if "checks:deliveries:batch:" in key else "run"
            most[kind] = max(most[kind], value)
        return most

    def reset_deliveries(self) -> None:
        """Forget the delivery counters of earlier scenarios (the poison one leaves 4s behind)."""
        for key in self.stack.redis_cli("--scan", "--pattern", "*checks:deliveries:*").split():
            self.stack.redis_cli("del", key)

    def pause_all(self) -> None:
        from monitors.models import Monitor  # noqa: PLC0415

        Monitor.objects.update(paused=True)

    def log(self, name: str) -> str:
        path = self.stack.root / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def proxy_mode(mode: str) -> None:
    urllib.request.urlopen(f"http://127.0.0.1:{CONTROL_PORT}/mode/{mode}", timeout=5).read()  # noqa: S310


def now() -> datetime:
    from django.utils import timezone  # noqa: PLC0415

    return timezone.now()


def _reconnect() -> None:
    from django.db import connection  # noqa: PLC0415

    connection.close()


SCENARIOS: dict[str, Callable[[Harness], Found]] = {}


def scenario(name: str) -> Callable[[Callable[[Harness], Found]], Callable[[Harness], Found]]:
    def register(function: Callable[[Harness], Found]) -> Callable[[Harness], Found]:
        SCENARIOS[name] = function
        return function

    return register
