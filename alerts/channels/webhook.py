"""Webhook channel, as the Standard Webhooks specification says (API.md "Webhook deliveries").

The body is the frozen payload itself: `{type, timestamp, data: {monitor, incident, state, …}}`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings

from alerts.channels.base import (
    JSON,
    MAX_RESPONSE_BYTES,
    ChannelKind,
    clean_target_with,
    encode,
    isoformat,
    parse_time,
    post_json,
)
from alerts.channels.status import GONE, MAX_RETRY_AFTER_SECONDS, PERMANENT_STATUSES, raise_for_status, retry_after
from alerts.exceptions import DeliveryError
from alerts.validators import validate_webhook_url, webhook_secret_key

if TYPE_CHECKING:
    from alerts.models import Channel

__all__ = [
    "GONE",
    "KIND",
    "MAX_RESPONSE_BYTES",
    "MAX_RETRY_AFTER_SECONDS",
    "PERMANENT_STATUSES",
    "raise_for_status",
    "retry_after",
    "sign",
]


PREVIOUS_SECRET, PREVIOUS_UNTIL = "previous_secret", "previous_secret_until"  # noqa: S105 - config keys
PRIVATE_CONFIG = frozenset({PREVIOUS_SECRET, PREVIOUS_UNTIL})


def clean(target: str, config: JSON) -> tuple[str, JSON]:
    """The URL passes the network guard; the config keeps only a secret rotation in progress."""
    target, _ = clean_target_with(validate_webhook_url)(target, {})
    return target, {key: value for key, value in (config or {}).items() if key in PRIVATE_CONFIG}


def secret_rotation_start(*, config: JSON, old_secret: str, now: datetime) -> JSON:
    """Keep signing with the old secret too, for ALERTS_SECRET_ROTATION_HOURS (Standard Webhooks' rotation)."""
    until = now + timedelta(hours=settings.ALERTS_SECRET_ROTATION_HOURS)
    return {**config, PREVIOUS_SECRET: old_secret, PREVIOUS_UNTIL: isoformat(until)}


def _secrets(channel: Channel, now: datetime) -> list[str]:
    secrets = [channel.secret]
    until = parse_time(channel.config.get(PREVIOUS_UNTIL))
    if channel.config.get(PREVIOUS_SECRET) and until is not None and now < until:
        secrets.append(channel.config[PREVIOUS_SECRET])
    return secrets


def render(payload: JSON, channel: Channel) -> JSON:
    return payload


def sign(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` keyed with the decoded secret."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(webhook_secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers_for(*, channel: Channel, message_id: str, body: bytes, now: datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        # During a rotation, one signature per secret, space-separated: receivers on either one verify.
        "webhook-signature": " ".join(
            sign(secret=secret, message_id=message_id, timestamp=timestamp, body=body)
            for secret in _secrets(channel, now)
        ),
    }


def send(*, channel: Channel, payload: JSON, message_id: str, now: datetime) -> None:
    """POST the signed event; raise DeliveryError unless the receiver answers 2xx."""
    body = encode(render(payload, channel))
    try:
        headers = headers_for(channel=channel, message_id=message_id, body=body, now=now)
    except ValueError as exc:
        # Only a row written around channel_create (the admin, a data fix) lacks a valid secret.
        # Transient: setting a secret (channel_update) lets the next attempt through.
        raise DeliveryError("The channel has no valid signing secret.", permanent=False) from exc
    post_json(url=channel.target, body=body, headers=headers, now=now)


KIND: Any = ChannelKind(
    kind="webhook",
    label="Webhook (signed, Standard Webhooks)",
    target_help="The https:// URL that receives signed JSON POSTs.",
    clean=clean,
    render=render,
    send=send,
    has_secret=True,
)
