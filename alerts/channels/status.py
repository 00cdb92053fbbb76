"""What a receiver's HTTP status means for a delivery (Standard Webhooks' rules, RELIABILITY WH-03)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from alerts.exceptions import DeliveryError

MAX_RETRY_AFTER_SECONDS = 60 * 60
# The receiver rejected this message for good: retrying cannot help.
PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 422})
GONE = 410


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
