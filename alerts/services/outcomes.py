"""What a delivery's outcome leaves behind: a line on the incident's timeline, and for a dead one an email.

Called once per recorded outcome (the claim makes one worker the only writer of an attempt).
A dead delivery (attempts exhausted) emails the organisation's owners once (RELIABILITY WH-05; at most
one such email per channel an hour),
straight through Django's email backend: not as a Notification, which could be dead too.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from accounts.models import Membership
from alerts.channels import redact_target
from alerts.models import IncidentEvent, Notification
from alerts.services.timeline import incident_event_add

logger = logging.getLogger(__name__)

FAILED_STATUSES = frozenset({Notification.Status.FAILED, Notification.Status.DEAD})
DEAD_EMAIL_EVERY_SECONDS = 60 * 60


def outcome_record_side_effects(*, notification_id: int, status: str, now: datetime) -> None:
    if status not in FAILED_STATUSES and status != Notification.Status.SENT:
        return  # a retry is coming: the timeline says what finally happened
    notification = (
        Notification.objects.select_related("channel__organization", "incident").filter(id=notification_id).first()
    )
    if notification is None:
        return
    channel = notification.channel
    incidents = (
        [notification.incident]
        if notification.incident is not None
        else [m.incident for m in notification.digested.select_related("incident") if m.incident is not None]
    )
    data = {"notification": notification.id, "channel": channel.id, "kind": channel.kind, "status": status}
    for incident in incidents:
        if status == Notification.Status.SENT:
            via = " (in a digest)" if notification.incident is None else ""
            incident_event_add(
                incident=incident,
                kind=IncidentEvent.Kind.NOTIFIED,
                message=f"{notification.event} sent to {channel.name}{via}.",
                data=data,
                at=now,
            )
        else:
            incident_event_add(
                incident=incident,
                kind=IncidentEvent.Kind.NOTIFICATION_FAILED,
                message=f"{notification.event} to {channel.name} {status}: {notification.last_error}",
                data={**data, "error": notification.last_error},
                at=now,
            )
    if status == Notification.Status.DEAD:
        _email_owners(notification=notification)


def _email_owners(*, notification: Notification) -> None:
    channel = notification.channel
    # One email per channel per DEAD_EMAIL_EVERY: a receiver that is down takes every delivery of
    # the hour with it, and fifty emails would say nothing the first one and the log don't.
    if not cache.add(f"alerts:dead-delivery-email:{channel.id}", 1, timeout=DEAD_EMAIL_EVERY_SECONDS):
        logger.info("dead delivery email skipped notification=%s channel=%s", notification.id, channel.id)
        return
    owners = list(
        Membership.objects.filter(organization_id=channel.organization_id, role=Membership.Role.OWNER)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    if not owners:
        return
    context = {
        "notification": notification,
        "channel": channel,
        "target": redact_target(channel),
        "organization": channel.organization,
        "deliveries_url": f"{settings.SITE_URL}/alerts/deliveries/?status=dead",
        "incident_url": (
            f"{settings.SITE_URL}/incidents/{notification.incident_id}/" if notification.incident_id else ""
        ),
    }
    prefix = "alerts/emails/delivery_dead"
    message = EmailMultiAlternatives(
        subject=" ".join(render_to_string(f"{prefix}_subject.txt", context).split()),
        body=render_to_string(f"{prefix}_body.txt", context),
        to=owners,
        headers={"X-Driftwatch-Event": "delivery.dead"},
    )
    message.attach_alternative(render_to_string(f"{prefix}_body.html", context), "text/html")
    try:
        message.send()
    except (smtplib.SMTPException, OSError):
        # The delivery itself is recorded dead and listed in the delivery log either way.
        logger.warning("dead delivery email failed notification=%s channel=%s", notification.id, channel.id)
        return
    logger.info(
        "dead delivery email sent notification=%s channel=%s owners=%s", notification.id, channel.id, len(owners)
    )
