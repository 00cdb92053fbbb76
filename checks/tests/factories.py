from __future__ import annotations

from typing import Any

from accounts.models import Organization
from monitors.models import Monitor
from monitors.services import monitor_create


def make_monitor(*, organization: Organization, url: str, **overrides: Any) -> Monitor:
    fields: dict[str, Any] = {"name": "Orders API", "url": url, "interval_seconds": 60, "timeout_seconds": 5}
    return monitor_create(organization=organization, **(fields | overrides))
