"""Invitations to join an organisation: emailed, expiring, single-use links. Only a hash is stored."""

from __future__ import annotations

import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.exceptions import (
    AlreadyMember,
    InvalidRole,
    InvitationEmailMismatch,
    InvitationExpired,
    InvitationNotFound,
    InvitationRevoked,
    InvitationUsed,
)
from accounts.models import Invitation, Membership, Organization, User
from accounts.selectors_organizations import invitation_get_for_token, invitation_token_hash
from accounts.services.audit import Actor, audit_record

logger = logging.getLogger(__name__)

# An owner is made by transferring ownership, never by an invitation.
INVITABLE_ROLES = (Membership.Role.ADMIN, Membership.Role.MEMBER, Membership.Role.VIEWER)


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str  # only in the emailed link; never stored or logged
    email_sent: bool


def invitation_accept_url(token: str) -> str:
    return settings.SITE_URL + reverse("organizations:invitation-accept", kwargs={"token": token})


def invitation_create(
    *, organization: Organization, email: str, role: str, actor: Actor | None, now: datetime | None = None
) -> IssuedInvitation:
    """Invite `email` with `role` and email the link. A pending invitation to the same address is
    revoked (replaced). Raises ValidationError (bad address), InvalidRole, AlreadyMember."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": exc.messages}) from exc
    if role not in INVITABLE_ROLES:
        raise InvalidRole("Invite as admin, member or viewer; an owner is made by transferring ownership.")
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise AlreadyMember()
    now = now or timezone.now()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        for old in Invitation.objects.select_for_update().filter(
            organization=organization, email__iexact=email, accepted_at=None, revoked_at=None, expires_at__gt=now
        ):
            old.revoked_at = now
            old.save(update_fields=["revoked_at"])
            audit_record(
                organization=organization,
                actor=actor,
                action="invitation.revoked",
                target=old,
                data={"email": old.email, "role": old.role, "replaced": True},
            )
        invitation = Invitation.objects.create(
            organization=organization,
            email=email,
            role=role,
            invited_by=actor.user if actor else None,
            token_hash=invitation_token_hash(token),
            created_at=now,
            expires_at=now + timedelta(days=settings.ACCOUNTS_INVITATION_TTL_DAYS),
        )
        audit_record(
            organization=organization,
            actor=actor,
            action="member.invited",
            target=invitation,
            data={"email": email, "role": role},
        )
    # After the commit: no network I/O inside the transaction (STYLE R10).
    email_sent = _invitation_email_send(invitation=invitation, token=token)
    logger.info("invitation created invitation=%s organization=%s", invitation.pk, organization.pk)
    return IssuedInvitation(invitation=invitation, token=token, email_sent=email_sent)


def _invitation_email_send(*, invitation: Invitation, token: str) -> bool:
    """Email the accept link; False (logged, without the link) when the mail server refuses."""
    context = {
        "invitation": invitation,
        "organization": invitation.organization,
        "inviter": invitation.invited_by,
        "accept_url": invitation_accept_url(token),
        "ttl_days": settings.ACCOUNTS_INVITATION_TTL_DAYS,
    }
    prefix = "accounts/emails/invitation"
    subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(
        render_to_string(f"{prefix}_subject.txt", context).split()
    )
    message = EmailMultiAlternatives(subject, render_to_string(f"{prefix}_body.txt", context), to=[invitation.email])
    message.attach_alternative(render_to_string(f"{prefix}_body.html", context), "text/html")
    try:
        message.send()
    except (OSError, smtplib.SMTPException):
        logger.warning("invitation email not sent invitation=%s", invitation.pk)
        return False
    return True


def invitation_revoke(*, invitation: Invitation, actor: Actor | None, now: datetime | None = None) -> Invitation:
    """Withdraw a pending invitation; its link stops working. Revoking twice is harmless.
    Raises InvitationUsed when it was already accepted."""
    now = now or timezone.now()
    with transaction.atomic():
        revoked = Invitation.objects.filter(pk=invitation.pk, accepted_at=None, revoked_at=None).update(revoked_at=now)
        invitation.refresh_from_db()
        if not revoked:
            if invitation.accepted_at is not None:
                raise InvitationUsed()
            return invitation
        audit_record(
            organization=invitation.organization,
            actor=actor,
            action="invitation.revoked",
            target=invitation,
            data={"email": invitation.email, "role": invitation.role},
        )
    logger.info("invitation revoked invitation=%s", invitation.pk)
    return invitation


def invitation_check(*, invitation: Invitation | None, now: datetime | None = None) -> Invitation:
    """The invitation if its link can still be used, else the InvitationError saying why."""
    now = now or timezone.now()
    if invitation is None:
        raise InvitationNotFound()
    if invitation.accepted_at is not None:
        raise InvitationUsed()
    if invitation.revoked_at is not None:
        raise InvitationRevoked()
    if invitation.expires_at <= now:
        raise InvitationExpired()
    return invitation


def invitation_accept(*, token: str, user: User, actor: Actor | None, now: datetime | None = None) -> Membership:
    """Join the organisation with the invited role. Single use: the first accept claims the row
    with a conditional UPDATE. The user needs a verified address equal to the invited one.
    Raises an InvitationError (not found, used, revoked, expired, other email) or AlreadyMember."""
    from allauth.account.models import EmailAddress  # noqa: PLC0415 - allauth models load after apps

    now = now or timezone.now()
    invitation = invitation_check(invitation=invitation_get_for_token(token=token), now=now)
    if not EmailAddress.objects.filter(user=user, email__iexact=invitation.email, verified=True).exists():
        raise InvitationEmailMismatch()
    if Membership.objects.filter(user=user, organization=invitation.organization).exists():
        raise AlreadyMember("You are already a member of this organisation.")
    try:
        with transaction.atomic():
            claimed = Invitation.objects.filter(
                pk=invitation.pk, accepted_at=None, revoked_at=None, expires_at__gt=now
            ).update(accepted_at=now, accepted_by=user)
            if claimed != 1:
                invitation.refresh_from_db()
                invitation_check(invitation=invitation, now=now)
                raise InvitationUsed()
            membership = Membership.objects.create(
                user=user, organization=invitation.organization, role=invitation.role
            )
            audit_record(
                organization=invitation.organization,
                actor=actor,
                action="member.joined",
                target=membership,
                data={"email": user.email, "role": membership.role, "invitation_id": invitation.pk},
            )
    except IntegrityError as exc:  # joined through another invitation at the same moment
        raise AlreadyMember("You are already a member of this organisation.") from exc
    logger.info("invitation accepted invitation=%s membership=%s", invitation.pk, membership.pk)
    return membership
