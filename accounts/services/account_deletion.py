"""Deleting one's own account (RELIABILITY DATA-04): soft for a grace period, then hard, but only when confirmed.

1. `account_deletion_request` (the user, with their password): the account is blocked at once —
   sessions, refresh tokens and API keys end, sole ownerships pass to a successor, the monitors of
   organisations where the user is alone are paused — and an email carries two signed links:
   *confirm* and *restore*.
2. `account_deletion_confirm` (the emailed link): stores the signed confirmation token.
3. `account_deletion_restore` (the other link, or an operator): undoes step 1 within the grace period.
4. `deleted_accounts_purge` (a daily task): deletes for good the accounts confirmed at least
   ACCOUNTS_DELETION_GRACE_DAYS ago **whose stored token still verifies** for that very request. A row
   flagged by mistake (a bug, a bad data fix) has no valid token and is never hard-deleted: the
   guard rail the GitLab 2017 postmortem asks of deletion jobs.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, User
from accounts.services.audit import Actor, audit_record
from accounts.services.users import membership_hand_over, user_access_end, user_delete
from accounts.signals import organization_resumed, organization_suspended

logger = logging.getLogger(__name__)

CONFIRM_SALT = "accounts.account-deletion.confirm"
RESTORE_SALT = "accounts.account-deletion.restore"
# The confirm link works this long after the request; the restore link for the whole grace period.
CONFIRM_LINK_MAX_AGE = timedelta(days=2)


class AccountDeletionError(Exception):
    """A deletion link that is invalid, expired, or for a request that no longer stands."""


def grace_period() -> timedelta:
    return timedelta(days=settings.ACCOUNTS_DELETION_GRACE_DAYS)


def _token(*, user: User, salt: str) -> str:
    assert user.deletion_requested_at is not None  # noqa: S101 - only made for a pending request
    return signing.dumps({"u": user.pk, "r": user.deletion_requested_at.isoformat()}, salt=salt)


def _user_for(*, token: str, salt: str, max_age: timedelta | None) -> User:
    """The user whose *current* deletion request `token` was made for, else AccountDeletionError."""
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise AccountDeletionError("This link has expired.") from exc
    except signing.BadSignature as exc:
        raise AccountDeletionError("This link is not valid.") from exc
    user = User.objects.filter(pk=payload.get("u")).first()
    requested = user.deletion_requested_at if user else None
    if requested is None or payload.get("r") != requested.isoformat():
        raise AccountDeletionError("This link is for a deletion request that no longer stands.")
    return user


def account_deletion_request(*, user: User, actor: Actor, now: datetime | None = None) -> User:
    """Block the account now, then email the confirm and restore links."""
    now = now or timezone.now()
    with transaction.atomic():
        memberships = list(Membership.objects.filter(user=user).select_related("organization", "user"))
        stopped: dict[str, list] = {}
        for membership in memberships:
            organization = membership.organization
            if Membership.objects.filter(organization=organization).exclude(user=user).exists():
                membership_hand_over(membership=membership, actor=actor, reason="creator asked to delete their account")
            else:
                # Alone in it: nobody else would see its alerts, so its work stops until a restore.
                responses = organization_suspended.send(sender=User, organization=organization)
                stopped[str(organization.id)] = [item for _, result in responses for item in (result or [])]
            audit_record(organization=organization, actor=actor, action="user.deletion_requested", target=user)
        user.deletion_requested_at = now
        user.deletion_confirmed_at = None
        user.deletion_token = ""
        user.deletion_suspended = stopped
        user.save(
            update_fields=[
                "deletion_requested_at",
                "deletion_confirmed_at",
                "deletion_token",
                "deletion_suspended",
            ]
        )
        user_access_end(user=user)
    # After the commit, so the links name a request that exists; a failed send leaves the account
    # blocked, and asking again (an operator, or the restore of an earlier email) is harmless.
    _send_links(user=user)
    logger.info("account deletion requested user=%s organizations_suspended=%s", user.pk, len(stopped))
    return user


def _send_links(*, user: User) -> None:
    base = settings.SITE_URL
    context = {
        "user": user,
        "confirm_url": base + reverse("account-deletion-confirm", args=[_token(user=user, salt=CONFIRM_SALT)]),
        "restore_url": base + reverse("account-deletion-restore", args=[_token(user=user, salt=RESTORE_SALT)]),
        "grace_days": settings.ACCOUNTS_DELETION_GRACE_DAYS,
        "confirm_hours": int(CONFIRM_LINK_MAX_AGE.total_seconds() // 3600),
    }
    prefix = "accounts/emails/account_deletion"
    subject = " ".join(render_to_string(f"{prefix}_subject.txt", context).split())
    message = EmailMultiAlternatives(subject, render_to_string(f"{prefix}_body.txt", context), to=[user.email])
    message.attach_alternative(render_to_string(f"{prefix}_body.html", context), "text/html")
    message.send()


def account_deletion_confirm(*, token: str, now: datetime | None = None) -> User:
    """Record the signed confirmation: the account will be deleted for good after the grace period."""
    now = now or timezone.now()
    with transaction.atomic():
        user = _user_for(token=token, salt=CONFIRM_SALT, max_age=CONFIRM_LINK_MAX_AGE)
        if user.is_active:
            raise AccountDeletionError("This account is in use again; its deletion was cancelled.")
        if not user.deletion_confirmed_at:
            user.deletion_confirmed_at = now
            user.deletion_token = token
            user.save(update_fields=["deletion_confirmed_at", "deletion_token"])
            for membership in Membership.objects.filter(user=user).select_related("organization"):
                audit_record(
                    organization=membership.organization,
                    actor=Actor(user=user),
                    action="user.deletion_confirmed",
                    target=user,
                )
    logger.info("account deletion confirmed user=%s", user.pk)
    return user


def account_deletion_restore(*, token: str) -> User:
    """Undo a deletion request within the grace period: the account works again, paused monitors resume."""
    with transaction.atomic():
        user = _user_for(token=token, salt=RESTORE_SALT, max_age=grace_period())
        stopped = user.deletion_suspended or {}
        for membership in Membership.objects.filter(user=user, organization_id__in=[int(i) for i in stopped]):
            organization_resumed.send(
                sender=User, organization=membership.organization, stopped=stopped[str(membership.organization_id)]
            )
        user.is_active = True
        user.deletion_requested_at = None
        user.deletion_confirmed_at = None
        user.deletion_token = ""
        user.deletion_suspended = {}
        user.save(
            update_fields=[
                "is_active",
                "deletion_requested_at",
                "deletion_confirmed_at",
                "deletion_token",
                "deletion_suspended",
            ]
        )
        for membership in Membership.objects.filter(user=user).select_related("organization"):
            audit_record(
                organization=membership.organization, actor=Actor(user=user), action="user.restored", target=user
            )
    logger.info("account restored user=%s", user.pk)
    return user


def deleted_accounts_purge(*, now: datetime | None = None) -> int:
    """Delete for good every account confirmed a grace period ago whose token verifies; returns how many."""
    now = now or timezone.now()
    due = User.objects.filter(
        is_active=False, deletion_requested_at__isnull=False, deletion_confirmed_at__lte=now - grace_period()
    ).order_by("id")
    purged = 0
    for user in due:
        try:
            verified = _user_for(token=user.deletion_token, salt=CONFIRM_SALT, max_age=None)
        except AccountDeletionError as exc:
            logger.error("account purge refused user=%s reason=%s", user.pk, exc)
            continue
        if verified.pk != user.pk:  # a token copied from another row
            logger.error("account purge refused user=%s reason=token of user %s", user.pk, verified.pk)
            continue
        user_delete(user=user, actor=Actor(user=None))
        purged += 1
    if purged:
        logger.info("accounts purged count=%s", purged)
    return purged
