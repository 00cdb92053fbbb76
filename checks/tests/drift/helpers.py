"""Shared helpers of the drift tests: a tracked monitor against a real local server, and checks run in slots."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from typing import Any

from django.utils import timezone

from checks.models import CheckResult
from checks.services import check_execute
from checks.tests.factories import make_monitor
from monitors.models import Monitor
from tests.servers import HttpTarget

_slots = itertools.count()
_start = timezone.now().replace(microsecond=0)


def tracked_monitor(organization: Any, target: HttpTarget, **overrides: Any) -> Monitor:
    fields = {"track_contract": True, "contract_baseline_samples": 3, "contract_confirmations": 2} | overrides
    return make_monitor(organization=organization, url=f"{target.url}/orders", **fields)


def respond(
    monitor: Monitor,
    target: HttpTarget,
    body: Any,
    *,
    times: int = 1,
    content_type: str = "application/json",
    status: int = 200,
) -> list[CheckResult]:
    """Serve `body` (a value is sent as JSON) and run the monitor's check `times` times, each in its own slot."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    target.set_reply(status=status, body=raw, headers={"Content-Type": content_type})
    results = []
    for _ in range(times):
        due = _start + timedelta(seconds=60 * next(_slots))
        results.append(check_execute(monitor=monitor, due_at=due, sleep=lambda _s: None))
    return results
