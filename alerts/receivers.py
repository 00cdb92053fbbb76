"""Receivers of lower apps' signals (accounts and checks never import alerts)."""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import receiver
from kombu.exceptions import OperationalError

from accounts.models import Organization, User
from accounts.signals import organization_created
from checks.signals import status_change_recorded

logger = logging.getLogger(__name__)


@receiver(organization_created, dispatch_uid="alerts.default_email_channel")
def create_owner_email_channel(sender: type, organization: Organization, owner: User, **kwargs: Any) -> None:
    """Every new organisation starts with an email channel to its owner's address."""
    from alerts.services import channel_create  # noqa: PLC0415

    channel_create(organization=organization, kind="email", name=f"Email {owner.email}", target=owner.email)


@receiver(status_change_recorded, dispatch_uid="alerts.process_status_change")
def enqueue_status_change_processing(sender: type, status_change_id: int, **kwargs: Any) -> None:
    """Handle a committed StatusChange at once (the 15 s sweep is the safety net)."""
    from alerts.tasks import process_status_changes_task  # noqa: PLC0415

    try:
        process_status_changes_task.delay()
    except OperationalError:
        # The broker is unreachable: the row is durable and the sweep will find it.
        logger.warning("could not enqueue status change processing status_change=%s", status_change_id)
