"""People's email preferences: opt-outs per organisation and monitor, and one-click unsubscribes (RFC 8058)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import IntegrityError, transaction

from accounts.models import Organization
from alerts.models import EmailOptOut
from alerts.unsubscribe import unsubscribe_token_read
from monitors.models import Monitor

logger = logging.getLogger(__name__)

ALL = "all"


def email_opt_out_add(
    *, organization: Organization, email: str, event: str = ALL, monitor: Monitor | None = None
) -> EmailOptOut:
    """Stop `event` mail (or all) to `email` from this organisation, or about one monitor. Idempotent."""
    email = email.strip().lower()
    existing = EmailOptOut.objects.filter(organization=organization, email=email, event=event, monitor=monitor).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            opt_out = EmailOptOut.objects.create(organization=organization, email=email, event=event, monitor=monitor)
    except IntegrityError:  # a concurrent click of the same link
        return EmailOptOut.objects.get(organization=organization, email=email, event=event, monitor=monitor)
    logger.info(
        "email opt-out added organization=%s event=%s monitor=%s", organization.id, event, monitor and monitor.id
    )
    return opt_out


def email_preferences_set(
    *, organization: Organization, email: str, emails_on: bool, muted_monitors: Iterable[Monitor]
) -> None:
    """A member's choices for one organisation: all its alert email on or off, and monitors muted one by one.

    Replaces the address's "all" opt-outs of this organisation (organisation-wide and per monitor);
    opt-outs of one kind of mail (from an unsubscribe link) stay until the organisation is turned on again.
    """
    email = email.strip().lower()
    with transaction.atomic():
        rows = EmailOptOut.objects.filter(organization=organization, email=email)
        if emails_on:
            rows.filter(monitor__isnull=True).delete()
        else:
            email_opt_out_add(organization=organization, email=email)
        muted = {m.id: m for m in muted_monitors if m.organization_id == organization.id}
        rows.filter(event=ALL, monitor__isnull=False).exclude(monitor_id__in=list(muted)).delete()
        for monitor in muted.values():
            email_opt_out_add(organization=organization, email=email, monitor=monitor)


def unsubscribe_apply(*, token: str) -> EmailOptOut | None:
    """The one-click unsubscribe: the opt-out a signed link names, or None for a link not made here."""
    wanted = unsubscribe_token_read(token)
    if wanted is None:
        return None
    organization = Organization.objects.filter(id=wanted.organization_id).first()
    if organization is None:
        return None
    return email_opt_out_add(organization=organization, email=wanted.email, event=wanted.event)
