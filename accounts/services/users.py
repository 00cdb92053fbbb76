"""Users and their organisations: creation, deletion with hand-over, deactivation."""

from __future__ import annotations

import logging

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiKey, Membership, Organization, User
from accounts.services.api_keys import api_key_revoke
from accounts.services.audit import Actor, audit_record
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


def _successor(*, organization: Organization, leaving: User) -> Membership | None:
    """Who takes over from a sole owner: the longest-standing admin, else the longest-standing member."""
    others = Membership.objects.filter(organization=organization).exclude(user=leaving).select_related("user")
    admins = others.filter(role=Membership.Role.ADMIN).order_by("created_at", "id")
    return admins.first() or others.order_by("created_at", "id").first()


def membership_hand_over(*, membership: Membership, actor: Actor, reason: str) -> None:
    """Before its user leaves: a sole owner's organisation passes to a successor, and their keys are revoked.

    The longest-standing admin (else member) becomes owner when the user is the only owner;
    the user's live API keys in the organisation are revoked. Audited; call it in a transaction.
    """
    organization, user = membership.organization, membership.user
    others = Membership.objects.filter(organization=organization).exclude(user=user)
    sole_owner = membership.role == Membership.Role.OWNER and not others.filter(role=Membership.Role.OWNER).exists()
    successor = _successor(organization=organization, leaving=user) if sole_owner else None
    if successor is not None:
        previous_role = successor.role
        successor.role = Membership.Role.OWNER
        successor.save(update_fields=["role"])
        audit_record(
            organization=organization,
            actor=actor,
            action="organization.ownership_transferred",
            target=organization,
            data={"from": user.email, "to": successor.user.email, "previous_role": previous_role},
        )
    for api_key in ApiKey.objects.filter(organization=organization, created_by=user, revoked_at=None):
        api_key_revoke(api_key=api_key)
        audit_record(
            organization=organization, actor=actor, action="api_key.revoked", target=api_key, data={"reason": reason}
        )


def user_delete(*, user: User, actor: Actor) -> None:
    """Delete an account and hand over or remove what it owns, in one transaction.

    For each organisation the user solely owns: ownership goes to the longest-standing admin
    (else member), or the organisation is deleted with its monitors, channels and results when
    nobody else is in it. In the organisations that survive, the user's API keys are revoked
    and the departure is audited. Deleting the user ends their sessions and JWTs.
    """
    with transaction.atomic():
        memberships = list(Membership.objects.filter(user=user).select_related("organization").order_by("id"))
        deleted: list[int] = []
        for membership in memberships:
            organization = membership.organization
            others = Membership.objects.filter(organization=organization).exclude(user=user)
            if not others.exists():
                deleted.append(organization.id)
                organization.delete()  # monitors, channels, results, keys and audit rows cascade
                continue
            membership_hand_over(membership=membership, actor=actor, reason="creator deleted their account")
            audit_record(
                organization=organization,
                actor=actor,
                action="user.deleted",
                target=user,
                data={"email": user.email, "role": membership.role},
            )
        user_id = user.pk
        user.delete()  # memberships, email addresses, authenticators and sessions' user go with it
    logger.info("user deleted user=%s organizations_deleted=%s", user_id, deleted)


def _sessions_end(*, user: User) -> int:
    """Delete the user's database sessions (Django has no user→session index: scan live ones)."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get(SESSION_KEY) == str(user.pk):
            session.delete()
            ended += 1
    return ended


def user_deactivate(*, user: User, actor: Actor) -> User:
    """Block an account: no login, sessions ended, every outstanding refresh token blacklisted.

    Access tokens and sessions of an inactive user are refused on the next request anyway
    (Django's and simplejwt's backends check is_active); ending them also frees the rows.
    """
    with transaction.atomic():
        sessions = user_access_end(user=user)
        for organization in Organization.objects.filter(memberships__user=user):
            audit_record(organization=organization, actor=actor, action="user.deactivated", target=user)
    logger.info("user deactivated user=%s sessions_ended=%s", user.pk, sessions)
    return user


def user_access_end(*, user: User) -> int:
    """Mark the user inactive, blacklist their refresh tokens and end their sessions; returns sessions ended."""
    from rest_framework_simplejwt.token_blacklist.models import (  # noqa: PLC0415 - app models
        BlacklistedToken,
        OutstandingToken,
    )

    user.is_active = False
    user.save(update_fields=["is_active"])
    outstanding = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in outstanding])
    return _sessions_end(user=user)
