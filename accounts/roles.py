"""The one permission table: what each role in an organisation may do.

The web UI (accounts.mixins.PermissionRequiredMixin and the `can` template context),
the API (accounts.permissions.OrganizationPermission) and the admin all ask `role_can`;
nothing else decides who may do what.
"""

from __future__ import annotations

from enum import StrEnum

from accounts.models import Membership


class Permission(StrEnum):
    VIEW = "view"  # read everything in the organisation: monitors, results, incidents, channels, keys
    MANAGE_MONITORS = "manage_monitors"  # create, change, delete, pause monitors; accept drift
    MANAGE_CHANNELS = "manage_channels"  # notification channels and alert rules
    MANAGE_API_KEYS = "manage_api_keys"
    MANAGE_MEMBERS = "manage_members"  # invite, remove, change roles (never to or from owner)
    VIEW_AUDIT = "view_audit"
    MANAGE_ORGANIZATION = "manage_organization"  # rename, require MFA
    TRANSFER_OWNERSHIP = "transfer_ownership"  # make someone owner, change an owner's role
    DELETE_ORGANIZATION = "delete_organization"


Role = Membership.Role

_VIEWER = frozenset({Permission.VIEW})
_MEMBER = _VIEWER | {Permission.MANAGE_MONITORS}
_ADMIN = _MEMBER | {
    Permission.MANAGE_CHANNELS,
    Permission.MANAGE_API_KEYS,
    Permission.MANAGE_MEMBERS,
    Permission.VIEW_AUDIT,
    Permission.MANAGE_ORGANIZATION,
}
_OWNER = _ADMIN | {Permission.TRANSFER_OWNERSHIP, Permission.DELETE_ORGANIZATION}

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.VIEWER: _VIEWER,
    Role.MEMBER: _MEMBER,
    Role.ADMIN: _ADMIN,
    Role.OWNER: _OWNER,
}


def role_can(role: str | None, permission: Permission) -> bool:
    """True when `role` (None: not a member) grants `permission`."""
    return role is not None and permission in ROLE_PERMISSIONS.get(role, frozenset())


def permissions_of(role: str | None) -> frozenset[Permission]:
    return ROLE_PERMISSIONS.get(role, frozenset()) if role else frozenset()
