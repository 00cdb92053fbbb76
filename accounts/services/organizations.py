"""Organisations and their members: settings, roles, removal, ownership. At least one owner always.

Callers check the role table (accounts.roles) before calling; the `*_allowed` helpers below
hold the rules about owners so the web UI, the API and the admin decide alike. The services
re-check what protects the organisation itself (the last owner) under a row lock.
"""

from __future__ import annotations

import logging

from django.db import transaction

from accounts.exceptions import InvalidRole, LastOwnerError, RoleChangeNotAllowed
from accounts.models import Membership, Organization, User
from accounts.roles import Permission, role_can
from accounts.services.audit import Actor, audit_record
from accounts.services.users import organization_create

logger = logging.getLogger(__name__)

Role = Membership.Role


def membership_role_change_allowed(*, actor_role: str | None, membership: Membership, role: str) -> bool:
    """An admin manages viewers, members and admins; only an owner makes owners or changes an owner's role."""
    if not role_can(actor_role, Permission.MANAGE_MEMBERS):
        return False
    if Role.OWNER in (membership.role, role):
        return role_can(actor_role, Permission.TRANSFER_OWNERSHIP)
    return True


def membership_remove_allowed(*, actor_role: str | None, actor_user: User | None, membership: Membership) -> bool:
    """Anyone may leave; an admin removes non-owners; only an owner removes another owner."""
    if actor_user is not None and membership.user_id == actor_user.pk:
        return actor_role is not None
    if not role_can(actor_role, Permission.MANAGE_MEMBERS):
        return False
    return membership.role != Role.OWNER or role_can(actor_role, Permission.TRANSFER_OWNERSHIP)


def _locked_owner_ids(organization: Organization) -> list[int]:
    # Row locks on the owners serialise concurrent demotions/removals, so two owners demoting
    # each other at the same moment cannot both succeed and leave nobody (no-op on SQLite,
    # whose writes are serialised anyway).
    owners = Membership.objects.select_for_update().filter(organization=organization, role=Role.OWNER)
    return list(owners.order_by("id").values_list("id", flat=True))


def organization_add(*, owner: User, name: str, actor: Actor | None) -> Organization:
    """Create another organisation owned by `owner` (organization_create) and audit it."""
    with transaction.atomic():
        organization = organization_create(owner=owner, name=name)
        audit_record(organization=organization, actor=actor, action="organization.created", target=organization)
    return organization


def organization_update(
    *,
    organization: Organization,
    actor: Actor | None,
    name: str | None = None,
    require_mfa: bool | None = None,
    result_retention_days: int | None = None,
) -> Organization:
    """Rename, switch "every member must use MFA" and/or set how many days raw results are kept;
    audits what changed (nothing changed: no row). Raises ValidationError for a retention outside 1..3650."""
    wanted = {"name": name, "require_mfa": require_mfa, "result_retention_days": result_retention_days}
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        changed = {
            field: {"old": getattr(organization, field), "new": value}
            for field, value in wanted.items()
            if value is not None and getattr(organization, field) != value
        }
        if not changed:
            return organization
        for field, change in changed.items():
            setattr(organization, field, change["new"])
        organization.full_clean()
        organization.save(update_fields=list(changed))
        audit_record(
            organization=organization, actor=actor, action="organization.updated", target=organization, data=changed
        )
        if "require_mfa" in changed:
            audit_record(
                organization=organization,
                actor=actor,
                action="organization.mfa_required_changed",
                target=organization,
                data=changed["require_mfa"],
            )
    logger.info("organization updated organization=%s fields=%s", organization.pk, ",".join(changed))
    return organization


def organization_delete(*, organization: Organization, actor: Actor | None) -> None:
    """Delete the organisation and, by cascade, its monitors, channels, keys, invitations and audit log."""
    organization_id = organization.pk
    with transaction.atomic():
        organization.delete()
    logger.info(
        "organization deleted organization=%s by_user=%s",
        organization_id,
        actor.user.pk if actor and actor.user else None,
    )


def membership_role_change(
    *, membership: Membership, role: str, actor: Actor | None, actor_role: str | None = None
) -> Membership:
    """Give `membership` another role. Raises InvalidRole, RoleChangeNotAllowed (when `actor_role`
    is given and may not), LastOwnerError (demoting the only owner). The same role is a no-op."""
    if role not in Role.values:
        raise InvalidRole()
    if actor_role is not None and not membership_role_change_allowed(
        actor_role=actor_role, membership=membership, role=role
    ):
        raise RoleChangeNotAllowed()
    with transaction.atomic():
        owner_ids = _locked_owner_ids(membership.organization)
        membership = Membership.objects.select_for_update().select_related("user", "organization").get(pk=membership.pk)
        old = membership.role
        if old == role:
            return membership
        if old == Role.OWNER and owner_ids == [membership.pk]:
            raise LastOwnerError()
        membership.role = role
        membership.save(update_fields=["role"])
        audit_record(
            organization=membership.organization,
            actor=actor,
            action="member.role_changed",
            target=membership,
            data={"email": membership.user.email, "old": old, "new": role},
        )
    logger.info("membership role changed membership=%s old=%s new=%s", membership.pk, old, role)
    return membership


def membership_remove(*, membership: Membership, actor: Actor | None, actor_role: str | None = None) -> None:
    """Remove a member (or let them leave: the actor is the member). Raises LastOwnerError for the
    only owner, RoleChangeNotAllowed when `actor_role` is given and may not remove them."""
    actor_user = actor.user if actor else None
    if actor_role is not None and not membership_remove_allowed(
        actor_role=actor_role, actor_user=actor_user, membership=membership
    ):
        raise RoleChangeNotAllowed("Your role does not allow removing this member.")
    with transaction.atomic():
        owner_ids = _locked_owner_ids(membership.organization)
        membership = Membership.objects.select_for_update().select_related("user", "organization").get(pk=membership.pk)
        if membership.role == Role.OWNER and owner_ids == [membership.pk]:
            raise LastOwnerError()
        leaving = actor_user is not None and membership.user_id == actor_user.pk
        audit_record(
            organization=membership.organization,
            actor=actor,
            action="member.left" if leaving else "member.removed",
            target=membership,
            data={"email": membership.user.email, "role": membership.role},
        )
        membership.delete()
    logger.info("membership removed organization=%s user=%s", membership.organization_id, membership.user_id)


def ownership_transfer(*, from_membership: Membership, to_membership: Membership, actor: Actor | None) -> Membership:
    """Make `to_membership` an owner and `from_membership` (an owner) an admin, in one transaction."""
    if from_membership.organization_id != to_membership.organization_id:
        raise InvalidRole("Ownership can only go to a member of the same organisation.")
    if from_membership.pk == to_membership.pk:
        raise InvalidRole("You already own this organisation; choose another member.")
    with transaction.atomic():
        _locked_owner_ids(from_membership.organization)
        locked = Membership.objects.select_for_update().select_related("user", "organization")
        from_membership = locked.get(pk=from_membership.pk)
        to_membership = locked.get(pk=to_membership.pk)
        if from_membership.role != Role.OWNER:
            raise RoleChangeNotAllowed("Only an owner can transfer ownership.")
        old_role = to_membership.role
        to_membership.role = Role.OWNER
        to_membership.save(update_fields=["role"])
        from_membership.role = Role.ADMIN
        from_membership.save(update_fields=["role"])
        audit_record(
            organization=to_membership.organization,
            actor=actor,
            action="organization.ownership_transferred",
            target=to_membership,
            data={
                "from": from_membership.user.email,
                "to": to_membership.user.email,
                "to_old_role": old_role,
            },
        )
    logger.info(
        "ownership transferred organization=%s to_membership=%s", to_membership.organization_id, to_membership.pk
    )
    return to_membership
