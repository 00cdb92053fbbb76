"""Webhook notifier, as the Standard Webhooks specification says (API.md "Webhook deliveries")."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings

from alerts.channels import AlertEvent, isoformat
from alerts.exceptions import DeliveryError
from alerts.validators import webhook_secret_key
from core import http

if TYPE_CHECKING:
    from alerts.models import Channel

MAX_RESPONSE_BYTES = 64 * 1024
MAX_RETRY_AFTER_SECONDS = 60 * 60
# The receiver rejected this message for good: retrying cannot help.
PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 422})
GONE = 410


def payload_for(event: AlertEvent) -> dict[str, Any]:
    monitor, incident = event.monitor, event.incident
    return {
        "type": event.type,
        "timestamp": isoformat(event.occurred_at),
        "data": {
            "monitor": {"id": monitor.id, "name": monitor.name, "url": monitor.url} if monitor else None,
            "incident": (
                {
                    "id": incident.id,
                    "opened_at": isoformat(incident.opened_at),
                    "resolved_at": isoformat(event.resolved_at),
                    "cause": incident.cause,
                }
                if incident
                else None
            ),
            "state": event.state,
        },
    }


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def sign(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` keyed with the decoded secret."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(webhook_secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers_for(*, channel: Channel, event: AlertEvent, body: bytes, now: datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {
        "Content-Type": "application/json",
        "webhook-id": event.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret=channel.secret, message_id=event.message_id, timestamp=timestamp, body=body),
    }


def send(*, channel: Channel, event: AlertEvent, now: datetime) -> None:
    """POST the signed event; raise DeliveryError unless the receiver answers 2xx."""
    body = encode(payload_for(event))
    try:
        headers = headers_for(channel=channel, event=event, body=body, now=now)
    except ValueError as exc:
        # Only a row written around channel_create (the admin, a data fix) lacks a valid secret.
        # Transient: setting a secret (channel_update) lets the next attempt through.
        raise DeliveryError("The channel has no valid signing secret.", permanent=False) from exc
    try:
        response = http.send(
            "POST",
            channel.target,
            timeout_ms=settings.ALERTS_WEBHOOK_TIMEOUT_MS,
            max_bytes=MAX_RESPONSE_BYTES,
            headers=headers,
            body=body,
            max_redirects=0,
        )
    except http.HttpError as exc:
        status = exc.extra.get("status_code")
        if exc.kind == "invalid_response" and isinstance(status, int) and 200 <= status < 300:
            return  # the receiver accepted the message; only its (unread) reply was garbled
        raise DeliveryError(f"{exc.kind}: {exc}"[:500], permanent=not _retryable(exc)) from exc
    raise_for_status(response.status_code, response.headers, now=now)


def _retryable(exc: http.HttpError) -> bool:
    """Whether sending again may work: a transient kind, or a body that did not decode.

    A body that did not decode behind a non-2xx status is worth another try, like a 5xx; the
    retry carries the same webhook-id, which receivers dedupe.
    """
    return exc.transient or exc.kind == "invalid_response"


def raise_for_status(status: int, headers: Mapping[str, str], *, now: datetime) -> None:
    if 200 <= status < 300:
        return
    if status == GONE:
        raise DeliveryError("HTTP 410 Gone: the receiver removed this endpoint.", permanent=True, disable_channel=True)
    if status in PERMANENT_STATUSES:
        raise DeliveryError(f"HTTP {status}: the receiver rejected the message.", permanent=True)
    if 300 <= status < 400:
        # A redirect is never followed: it could point anywhere, a private address included.
        raise DeliveryError(f"HTTP {status}: redirects are not followed.", permanent=False)
    raise DeliveryError(
        f"HTTP {status} from the receiver.", permanent=False, retry_after_seconds=retry_after(headers, now=now)
    )


def retry_after(headers: Mapping[str, str], *, now: datetime) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date), capped at an hour."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    value = value.strip()
    # delta-seconds is ASCII digits only: str.isdigit() also accepts "²" or "٣", which float() rejects.
    if value.isascii() and value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None  # neither form: ignored, the normal backoff applies
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    return max(0.0, min(seconds, MAX_RETRY_AFTER_SECONDS))
