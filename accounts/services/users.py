"""Users and their organisations: creation."""

from __future__ import annotations

import logging

from django.db import transaction

from accounts.models import Membership, Organization, User
from accounts.signals import organization_created

logger = logging.getLogger(__name__)


def organization_create(*, owner: User, name: str) -> Organization:
    """Create an organisation with `owner` as its owner; other apps add their defaults on commit."""
    with transaction.atomic():
        organization = Organization.objects.create(name=name)
        Membership.objects.create(user=owner, organization=organization, role=Membership.Role.OWNER)
        organization_created.send(sender=Organization, organization=organization, owner=owner)
    logger.info("organization created organization=%s owner=%s", organization.id, owner.id)
    return organization


def user_create(*, email: str, password: str | None, organization_name: str = "") -> User:
    """Create a user and their own organisation (used by signup, createsuperuser and tests)."""
    with transaction.atomic():
        user = User.objects.create_user(email=email, password=password)
        organization_create(owner=user, name=organization_name or default_organization_name(user))
    return user


def default_organization_name(user: User) -> str:
    return f"{user.email.split('@', 1)[0]}'s organisation"[:100]
