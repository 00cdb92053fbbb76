"""Receivers of accounts' signals (accounts never imports alerts).

A signal rather than an outbox row (STYLE R3) for one event only: an organisation being
created. Its defaults must exist in the same transaction, before the owner's first page,
and the event never needs replaying. Check outcomes travel as StatusChange rows.
"""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import receiver

from accounts.models import Organization, User
from accounts.signals import organization_created

logger = logging.getLogger(__name__)


@receiver(organization_created, dispatch_uid="alerts.default_email_channel")
def create_owner_email_channel(sender: type, organization: Organization, owner: User, **kwargs: Any) -> None:
    """Every new organisation starts with an email channel to its owner's address."""
    from alerts.services import channel_create  # noqa: PLC0415

    channel_create(organization=organization, kind="email", name=f"Email {owner.email}", target=owner.email)
