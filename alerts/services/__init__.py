"""Use cases of the alerts app (re-exported here: `from alerts.services import channel_create`)."""

from __future__ import annotations

from alerts.services.channels import (
    ChannelTestResult,
    channel_create,
    channel_delete,
    channel_send_test,
    channel_update,
    webhook_secret_generate,
)
from alerts.services.delivery import (
    DeliveryOutcome,
    backoff_seconds,
    notification_claim,
    notification_deliver,
    notification_resend,
)
from alerts.services.outbox import notifications_create, status_changes_process

__all__ = [
    "DeliveryOutcome",
    "ChannelTestResult",
    "backoff_seconds",
    "channel_create",
    "channel_delete",
    "channel_send_test",
    "channel_update",
    "notification_claim",
    "notification_deliver",
    "notification_resend",
    "notifications_create",
    "status_changes_process",
    "webhook_secret_generate",
]
