"""Email channel: a text and an HTML part rendered from templates/alerts/emails/<event>_*.

Every message carries a one-click unsubscribe for its kind of mail (RFC 8058): List-Unsubscribe
names a signed link, List-Unsubscribe-Post says a POST to it is enough.
"""

from __future__ import annotations

import smtplib
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

from alerts.channels.base import (
    EVENT_DIGEST,
    EVENT_DOWN,
    EVENT_TEST,
    EVENT_UP,
    JSON,
    ChannelKind,
    clean_target_with,
    monitor_link,
    parse_time,
    summarize,
)
from alerts.exceptions import DeliveryError
from alerts.selectors import email_address_is_unverified
from alerts.unsubscribe import unsubscribe_url
from alerts.validators import validate_email_target

if TYPE_CHECKING:
    from alerts.models import Channel

TEMPLATES = {EVENT_DOWN: "monitor_down", EVENT_UP: "monitor_up", EVENT_TEST: "test", EVENT_DIGEST: "digest"}
GENERIC_TEMPLATE = "generic"
DEFAULT_TIMEOUT_SECONDS = 30
UNVERIFIED_ERROR = "Not sent: this address has not been verified yet. Alerts go out once its owner confirms it."


def context_for(payload: JSON, channel: Channel | None = None) -> dict[str, Any]:
    data = payload.get("data") or {}
    incident = data.get("incident") or {}
    opened_at = parse_time(incident.get("opened_at"))
    resolved_at = parse_time(incident.get("resolved_at")) if payload.get("type") == EVENT_UP else None
    return {
        "payload": payload,
        "data": data,
        "summary": summarize(payload),
        "monitor": data.get("monitor"),
        "incident": incident or None,
        "cause": incident.get("cause", ""),
        "opened_at": opened_at,
        "resolved_at": resolved_at,
        "duration": (resolved_at - opened_at) if opened_at and resolved_at else None,
        "monitor_url": monitor_link(payload),
        "site_url": settings.SITE_URL,
        "unsubscribe_url": unsubscribe_url_for(channel, payload) if channel is not None else "",
    }


def render(payload: JSON, channel: Channel | None = None) -> tuple[str, str, str]:
    """(subject, text body, HTML body) of an event."""
    prefix = f"alerts/emails/{TEMPLATES.get(payload.get('type', ''), GENERIC_TEMPLATE)}"
    context = context_for(payload, channel)
    subject = " ".join(render_to_string(f"{prefix}_subject.txt", context).split())
    return (
        subject,
        render_to_string(f"{prefix}_body.txt", context),
        render_to_string(f"{prefix}_body.html", context),
    )


def unsubscribe_url_for(channel: Channel, payload: JSON) -> str:
    return unsubscribe_url(
        organization_id=channel.organization_id, email=channel.target, event=payload.get("type") or "all"
    )


def send(*, channel: Channel, payload: JSON, message_id: str, now: datetime) -> None:
    """Send one email; SMTP and socket errors are transient DeliveryErrors.

    An address a user has not verified yet gets nothing: a permanent failure, so the channel
    shows why, and the next alert after verification goes out as usual.
    """
    if email_address_is_unverified(email=channel.target):
        raise DeliveryError(UNVERIFIED_ERROR, permanent=True)
    subject, text, html = render(payload, channel)
    domain = urlsplit(settings.SITE_URL).hostname or "driftwatch.localhost"
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[channel.target],
        headers={
            # A stable Message-ID lets mail clients drop the duplicate of a retried delivery.
            "Message-ID": f"<{message_id}@{domain}>",
            "X-Driftwatch-Event": payload.get("type", ""),
            "List-Unsubscribe": f"<{unsubscribe_url_for(channel, payload)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or DEFAULT_TIMEOUT_SECONDS
    try:
        connection = get_connection(fail_silently=False, timeout=timeout)
        message.connection = connection
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP error: {type(exc).__name__}: {exc}"[:500], permanent=False) from exc


KIND = ChannelKind(
    kind="email",
    label="Email",
    target_help="An email address.",
    clean=clean_target_with(validate_email_target),
    render=render,
    send=send,
)
