"""Use cases of the accounts app (STYLE R4: one module per subdomain, re-exported here)."""

from __future__ import annotations

from accounts.services.api_keys import (
    IssuedApiKey,
    api_key_authenticate,
    api_key_create,
    api_key_revoke,
)
from accounts.services.audit import Actor, actor_for_request, audit_record
from accounts.services.invitations import (
    IssuedInvitation,
    invitation_accept,
    invitation_check,
    invitation_create,
    invitation_revoke,
)
from accounts.services.organizations import (
    membership_remove,
    membership_remove_allowed,
    membership_role_change,
    membership_role_change_allowed,
    organization_add,
    organization_delete,
    organization_update,
    ownership_transfer,
)
from accounts.services.users import (
    default_organization_name,
    organization_create,
    user_create,
    user_deactivate,
    user_delete,
)

__all__ = [
    "Actor",
    "actor_for_request",
    "IssuedApiKey",
    "api_key_authenticate",
    "api_key_create",
    "api_key_revoke",
    "audit_record",
    "default_organization_name",
    "organization_create",
    "user_create",
    "user_deactivate",
    "user_delete",
    "IssuedInvitation",
    "invitation_accept",
    "invitation_check",
    "invitation_create",
    "invitation_revoke",
    "membership_remove",
    "membership_remove_allowed",
    "membership_role_change",
    "membership_role_change_allowed",
    "organization_add",
    "organization_delete",
    "organization_update",
    "ownership_transfer",
]
