from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from accounts.models import Organization
from alerts.models import Channel
from alerts.services import channel_create
from checks.models import StatusChange
from monitors.models import Monitor
from monitors.services import monitor_create


def make_monitor(*, organization: Organization, **overrides: Any) -> Monitor:
    # Never checked in these tests: the URL only shows up in messages.
    fields: dict[str, Any] = {"name": "Orders API", "url": "https://api.example.com/orders"}
    return monitor_create(organization=organization, **(fields | overrides))


def record_change(
    *, monitor: Monitor, old: str, new: str, cause: str = "HTTP 500", at: datetime | None = None
) -> StatusChange:
    """An outbox row as the checks app writes it when a monitor's state flips."""
    return StatusChange.objects.create(
        monitor=monitor, old_state=old, new_state=new, cause=cause, created_at=at or timezone.now()
    )


def make_webhook(*, organization: Organization, url: str, name: str = "ops hook", **overrides: Any) -> Channel:
    return channel_create(organization=organization, kind="webhook", name=name, target=url, **overrides)
