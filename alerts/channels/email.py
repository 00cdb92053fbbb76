"""Email notifier: a text and an HTML part rendered from templates/alerts/emails/<event>_*."""

from __future__ import annotations

import smtplib
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

from alerts.channels import EVENT_DOWN, EVENT_TEST, EVENT_UP, AlertEvent
from alerts.exceptions import DeliveryError
from alerts.selectors import email_address_is_unverified

if TYPE_CHECKING:
    from alerts.models import Channel

TEMPLATES = {EVENT_DOWN: "monitor_down", EVENT_UP: "monitor_up", EVENT_TEST: "test"}
DEFAULT_TIMEOUT_SECONDS = 30
UNVERIFIED_ERROR = "Not sent: this address has not been verified yet. Alerts go out once its owner confirms it."


def render(event: AlertEvent) -> tuple[str, str, str]:
    """(subject, text body, HTML body) of an event."""
    prefix = f"alerts/emails/{TEMPLATES[event.type]}"
    context = context_for(event)
    subject = " ".join(render_to_string(f"{prefix}_subject.txt", context).split())
    return (
        subject,
        render_to_string(f"{prefix}_body.txt", context),
        render_to_string(f"{prefix}_body.html", context),
    )


def context_for(event: AlertEvent) -> dict[str, Any]:
    incident = event.incident
    duration = None
    if incident is not None and event.resolved_at is not None:
        duration = event.resolved_at - incident.opened_at
    return {
        "event": event,
        "monitor": event.monitor,
        "incident": incident,
        "cause": incident.cause if incident is not None else "",
        "opened_at": incident.opened_at if incident is not None else None,
        "resolved_at": event.resolved_at,
        "duration": duration,
        "monitor_url": event.monitor_url,
        "site_url": settings.SITE_URL,
    }


def send(*, channel: Channel, event: AlertEvent, now: datetime) -> None:
    """Send one email; SMTP and socket errors are transient DeliveryErrors.

    An address a user has not verified yet gets nothing: a permanent failure, so the channel
    shows why, and the next alert after verification goes out as usual.
    """
    if email_address_is_unverified(email=channel.target):
        raise DeliveryError(UNVERIFIED_ERROR, permanent=True)
    subject, text, html = render(event)
    domain = urlsplit(settings.SITE_URL).hostname or "driftwatch.localhost"
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[channel.target],
        # A stable Message-ID lets mail clients drop the duplicate of a retried delivery.
        headers={"Message-ID": f"<{event.message_id}@{domain}>", "X-Driftwatch-Event": event.type},
    )
    message.attach_alternative(html, "text/html")
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or DEFAULT_TIMEOUT_SECONDS
    try:
        connection = get_connection(fail_silently=False, timeout=timeout)
        message.connection = connection
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP error: {type(exc).__name__}: {exc}"[:500], permanent=False) from exc
