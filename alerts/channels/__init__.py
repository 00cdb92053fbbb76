"""Notifiers: one module per channel kind, each with `send(channel=, event=, now=)` raising DeliveryError."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from alerts.models import Channel, Incident
    from monitors.models import Monitor

EVENT_DOWN = "monitor.down"
EVENT_UP = "monitor.up"
EVENT_TEST = "test"


@dataclass(frozen=True)
class AlertEvent:
    """What one delivery says; built from a Notification (or for a test send) and never stored."""

    type: str  # EVENT_DOWN, EVENT_UP or EVENT_TEST
    message_id: str  # the webhook-id: the same on every retry of one notification
    occurred_at: datetime  # when the state flipped (or the test was asked for)
    state: str | None = None  # the monitor's new state
    monitor: Monitor | None = None
    incident: Incident | None = None

    @property
    def monitor_url(self) -> str:
        """The monitor's page on the dashboard."""
        return f"{settings.SITE_URL}/monitors/{self.monitor.id}/" if self.monitor else settings.SITE_URL + "/"

    @property
    def resolved_at(self) -> datetime | None:
        # A DOWN message says "open" even when it is retried after the recovery, so every
        # retry of one notification carries the same body.
        if self.type == EVENT_UP and self.incident is not None:
            return self.incident.resolved_at
        return None


def isoformat(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, as the API writes times."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def send(*, channel: Channel, event: AlertEvent, now: datetime) -> None:
    """Deliver `event` through the notifier of `channel.kind`; raises DeliveryError."""
    from alerts.channels import email, webhook  # noqa: PLC0415 - the notifiers import this module
    from alerts.exceptions import DeliveryError  # noqa: PLC0415

    notifiers = {"email": email.send, "webhook": webhook.send}
    notifier = notifiers.get(channel.kind)
    if notifier is None:
        raise DeliveryError(f"No notifier for channel kind {channel.kind!r}.", permanent=True)
    notifier(channel=channel, event=event, now=now)
