"""Receivers of accounts' signals (accounts never imports alerts)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from accounts.models import Organization, User
from accounts.signals import organization_created


@receiver(organization_created, dispatch_uid="alerts.default_email_channel")
def create_owner_email_channel(sender: type, organization: Organization, owner: User, **kwargs: Any) -> None:
    """Every new organisation starts with an email channel to its owner's address."""
    from alerts.services import channel_create  # noqa: PLC0415

    channel_create(organization=organization, kind="email", name=f"Email {owner.email}", target=owner.email)
