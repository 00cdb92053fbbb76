"""What every channel kind shares: the ChannelKind record, the event summary and a guarded JSON POST.

A channel kind is one module in alerts.channels that builds one ChannelKind: `clean` (the form's
rules for target and config, raising ValidationError keyed by field), `render` (the frozen event
payload -> the body this kind sends) and `send` (deliver it, raising DeliveryError).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

from alerts.exceptions import DeliveryError
from core import http

if TYPE_CHECKING:
    from alerts.models import Channel

EVENT_DOWN = "monitor.down"
EVENT_UP = "monitor.up"
EVENT_TEST = "test"
EVENT_FLAPPING = "monitor.flapping"
EVENT_STABLE = "monitor.stable"
EVENT_DIGEST = "digest"
EVENT_DRIFT = "contract.drift"
EVENT_DELIVERY_DEAD = "delivery.dead"

MAX_RESPONSE_BYTES = 64 * 1024
JSON = dict[str, Any]


@dataclass(frozen=True)
class ChannelKind:
    kind: str
    label: str
    target_help: str
    clean: Callable[[str, JSON], tuple[str, JSON]]  # -> (target, config); ValidationError by field
    render: Callable[[JSON, Channel], Any]  # payload -> what send() puts on the wire
    send: Callable[..., None]  # send(channel=, payload=, message_id=, now=); raises DeliveryError
    has_secret: bool = False
    config_fields: tuple[str, ...] = field(default=())


def isoformat(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, as the API writes times."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- the human summary every chat kind renders from ----------------------------------------


@dataclass(frozen=True)
class Summary:
    title: str
    lines: list[str]
    link: str
    severity: str  # "down", "up", "warning" or "info": a colour for chat kinds


def monitor_link(payload: JSON) -> str:
    monitor = (payload.get("data") or {}).get("monitor")
    if monitor:
        return f"{settings.SITE_URL}/monitors/{monitor['id']}/"
    return f"{settings.SITE_URL}/"


def summarize(payload: JSON) -> Summary:
    """One title, a few lines and a link: what Slack, Discord, Teams and Telegram messages say."""
    kind = payload.get("type", "")
    data = payload.get("data") or {}
    monitor = data.get("monitor") or {}
    incident = data.get("incident") or {}
    name = monitor.get("name", "")
    link = monitor_link(payload)
    lines: list[str] = []
    if monitor.get("url"):
        lines.append(f"URL: {monitor['url']}")
    if incident.get("cause"):
        lines.append(f"Cause: {incident['cause']}")
    if kind == EVENT_DOWN:
        return Summary(f"🔴 {name} is DOWN", lines, link, "down")
    if kind == EVENT_UP:
        return Summary(f"🟢 {name} is UP again", lines, link, "up")
    if kind == EVENT_FLAPPING:
        lines.append("It keeps changing state; down/up alerts pause until it is stable.")
        return Summary(f"🟠 {name} is flapping", lines, link, "warning")
    if kind == EVENT_STABLE:
        return Summary(f"🔵 {name} is stable again (now {data.get('state')})", lines, link, "info")
    if kind == EVENT_DIGEST:
        monitors = data.get("monitors") or []
        names = [f"• {m['name']} — {m.get('cause') or m.get('state') or ''}".rstrip(" —") for m in monitors]
        if data.get("state") == "up":
            return Summary(f"🟢 {len(monitors)} monitors are UP again", names, f"{settings.SITE_URL}/", "up")
        return Summary(f"🔴 {len(monitors)} monitors are DOWN", names, f"{settings.SITE_URL}/", "down")
    if kind == EVENT_TEST:
        return Summary("Driftwatch test notification", ["If you can read this, the channel works."], link, "info")
    if kind == EVENT_DRIFT:
        drift = data.get("drift") or {}
        lines.append(f"Severity: {drift.get('severity', '')}")
        return Summary(f"🟡 {name}: the API contract changed", lines, link, "warning")
    lines.insert(0, data.get("message") or "")
    return Summary(f"{kind}: {name}".strip(": "), [line for line in lines if line], link, "info")


# --- URL rules (WH-08) ------------------------------------------------------------------------


def url_patterns(kind: str, defaults: tuple[str, ...]) -> tuple[str, ...]:
    """The regexes a `kind` URL must match: ALERTS_CHANNEL_URL_OVERRIDES[kind] if set, else the real hosts."""
    overrides: Mapping[str, Any] = getattr(settings, "ALERTS_CHANNEL_URL_OVERRIDES", {}) or {}
    value = overrides.get(kind)
    if not value:
        return defaults
    return (value,) if isinstance(value, str) else tuple(value)


def clean_service_url(*, kind: str, url: str, defaults: tuple[str, ...], example: str) -> str:
    """A chat service's incoming-webhook URL: one of its own hosts, and through the network guard."""
    from alerts.validators import validate_webhook_url  # noqa: PLC0415 - validators import nothing of ours

    url = url.strip()
    if not any(re.fullmatch(pattern, url) for pattern in url_patterns(kind, defaults)):
        raise ValidationError({"target": [ValidationError(f"Expected a URL like {example}", code="invalid_url")]})
    try:
        validate_webhook_url(url)
    except ValidationError as exc:
        raise ValidationError({"target": [exc]}) from exc
    return url


def redact_url(url: str) -> str:
    """Scheme, host and the first path segment; the rest (where the tokens live) becomes …."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return "…"
    first = parts.path.strip("/").split("/")[0] if parts.path.strip("/") else ""
    return f"{parts.scheme}://{parts.netloc}/{first + '/' if first else ''}…"


def clean_target_with(validator: Callable[[str], object]) -> Callable[[str, JSON], tuple[str, JSON]]:
    """A kind's `clean` for a target alone: `validator` (raising ValidationError) on the stripped target."""

    def clean(target: str, config: JSON) -> tuple[str, JSON]:
        target = target.strip()
        try:
            validator(target)
        except ValidationError as exc:
            raise ValidationError({"target": [exc]}) from exc
        return target, {}

    return clean


def service_webhook_kind(
    *,
    kind: str,
    label: str,
    example: str,
    url_patterns: tuple[str, ...],
    render: Callable[[JSON, Channel | None], JSON],
) -> ChannelKind:
    """A chat service's incoming webhook: the URL must be the service's own (WH-08), the body is `render`'s JSON."""

    def clean(target: str, config: JSON) -> tuple[str, JSON]:
        return clean_service_url(kind=kind, url=target, defaults=url_patterns, example=example), {}

    def send(*, channel: Channel, payload: JSON, message_id: str, now: datetime) -> None:
        post_json(url=channel.target, body=encode(render(payload, channel)), headers={}, now=now)

    return ChannelKind(
        kind=kind, label=label, target_help=f"A {label} webhook URL: {example}", clean=clean, render=render, send=send
    )


# --- sending JSON ------------------------------------------------------------------------------


def encode(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def post_json(*, url: str, body: bytes, headers: Mapping[str, str], now: datetime) -> None:
    """POST through the network guard (no redirects, 64 KB read cap, connect/total timeouts).

    Raises DeliveryError unless the receiver answers 2xx (status rules: alerts.channels.status).
    """
    from alerts.channels.status import raise_for_status  # noqa: PLC0415

    try:
        response = http.send(
            "POST",
            url,
            timeout_ms=settings.ALERTS_WEBHOOK_TIMEOUT_MS,
            connect_timeout_ms=min(settings.ALERTS_WEBHOOK_CONNECT_TIMEOUT_MS, settings.ALERTS_WEBHOOK_TIMEOUT_MS),
            max_bytes=MAX_RESPONSE_BYTES,
            headers={"Content-Type": "application/json", **headers},
            body=body,
            max_redirects=0,
        )
    except http.HttpError as exc:
        status = exc.extra.get("status_code")
        if exc.kind == "invalid_response" and isinstance(status, int) and 200 <= status < 300:
            return  # the receiver accepted the message; only its (unread) reply was garbled
        retryable = exc.transient or exc.kind == "invalid_response"
        raise DeliveryError(f"{exc.kind}: {exc}"[:500], permanent=not retryable) from exc
    raise_for_status(response.status_code, response.headers, now=now)
