"""Read-side queries for organisations, members, invitations and the audit log (tenant-scoped)."""

from __future__ import annotations

import hashlib

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import AuditEvent, Invitation, Membership, Organization, User
from accounts.selectors import audit_event_list_for_organization


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def membership_list_for_organization(*, organization: Organization) -> QuerySet[Membership]:
    return Membership.objects.filter(organization=organization).select_related("user").order_by("created_at", "id")


def membership_get_in_organization(*, organization: Organization, membership_id: int) -> Membership | None:
    """A membership of `organization` by id; another organisation's id is None (404 for the caller)."""
    return membership_list_for_organization(organization=organization).filter(id=membership_id).first()


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organization").order_by("organization_id")


def invitation_list_pending_for_organization(*, organization: Organization) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        organization=organization, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    ).select_related("invited_by")


def invitation_get_in_organization(*, organization: Organization, invitation_id: int) -> Invitation | None:
    return Invitation.objects.filter(organization=organization, id=invitation_id).select_related("invited_by").first()


def invitation_get_for_token(*, token: str) -> Invitation | None:
    """The invitation whose link carries `token` (any state), or None. Only the hash is stored."""
    if not token or len(token) > 128:
        return None
    return Invitation.objects.filter(token_hash=invitation_token_hash(token)).select_related("organization").first()


def invitation_pending_for_token_hash(*, token_hash: str) -> Invitation | None:
    """The still-usable invitation with this token hash (used by signup while SIGNUP_OPEN is off)."""
    invitation = Invitation.objects.filter(token_hash=token_hash).first()
    return invitation if invitation is not None and invitation.is_pending() else None


def audit_event_list_filtered(*, organization: Organization, action: str = "") -> QuerySet[AuditEvent]:
    """The organisation's audit log, newest first, optionally only one action."""
    events = audit_event_list_for_organization(organization=organization).order_by("-created_at", "-id")
    return events.filter(action=action) if action else events


def audit_event_get(*, organization: Organization, audit_event_id: int) -> AuditEvent | None:
    return audit_event_list_for_organization(organization=organization).filter(id=audit_event_id).first()


def audit_action_list_for_organization(*, organization: Organization) -> list[str]:
    """The distinct actions recorded in the organisation, for the filter menu."""
    actions = AuditEvent.objects.filter(organization=organization).values_list("action", flat=True)
    return sorted(set(actions.distinct()))
