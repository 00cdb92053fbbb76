"""Read-side queries of the accounts app."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import ApiKey, AuditEvent, Membership, Organization, User
from accounts.roles import Permission, role_can

SESSION_ORGANIZATION_KEY = "organization_id"


def organization_list_for_user(*, user: User) -> QuerySet[Organization]:
    return Organization.objects.filter(memberships__user=user).order_by("id")


def membership_get(*, user: User, organization: Organization) -> Membership | None:
    return Membership.objects.filter(user=user, organization=organization).first()


@dataclass(frozen=True)
class RequestOrganization:
    organization: Organization | None
    role: str | None  # the caller's role there (an API key's: its creator's); None: no access


def _request_organization(request: HttpRequest) -> RequestOrganization:
    """The organisation a request acts for and the caller's role, computed once per request.

    An API key acts for its own organisation with its creator's current role (a read key reads
    what its creator reads and writes nothing: accounts.permissions.ApiKeyScopePermission,
    KEY-02); if the creator has left, the key has no role. A
    session or JWT acts for the organisation chosen in the session, else the user's first.
    """
    auth = getattr(request, "auth", None)
    user = request.user
    cache_key = (user.pk, auth.pk if isinstance(auth, ApiKey) else None)
    holder = getattr(request, "_request", request)  # DRF's Request wraps Django's
    cached = getattr(holder, "_driftwatch_organization", None)
    if cached is not None and cached[0] == cache_key:
        return cached[1]
    result = RequestOrganization(None, None)
    if isinstance(auth, ApiKey):
        role = Membership.objects.filter(user=user, organization=auth.organization).values_list("role", flat=True)
        result = RequestOrganization(auth.organization, role.first())
    elif user.is_authenticated:
        memberships = Membership.objects.filter(user=user).select_related("organization").order_by("organization_id")
        session = getattr(request, "session", None)
        chosen = session.get(SESSION_ORGANIZATION_KEY) if session is not None else None
        membership = None
        if chosen is not None:
            membership = memberships.filter(organization_id=chosen).first()
        membership = membership or memberships.first()
        if membership is not None:
            result = RequestOrganization(membership.organization, membership.role)
    holder._driftwatch_organization = (cache_key, result)
    return result


def organization_get_for_request(*, request: HttpRequest) -> Organization | None:
    """The organisation a request acts for: the API key's, else the one chosen in the session, else the first."""
    return _request_organization(request).organization


def role_for_request(*, request: HttpRequest) -> str | None:
    """The caller's role in the organisation the request acts for (None: no access)."""
    return _request_organization(request).role


def request_can(*, request: HttpRequest, permission: Permission) -> bool:
    """True when the caller's role in the request's organisation grants `permission`."""
    return role_can(role_for_request(request=request), permission)


def audit_event_list_for_organization(*, organization: Organization) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(organization=organization).select_related("actor", "api_key")


def api_key_list_for_organization(*, organization: Organization) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(organization=organization).select_related("created_by")


def api_key_get(*, organization: Organization, api_key_id: int) -> ApiKey | None:
    return api_key_list_for_organization(organization=organization).filter(id=api_key_id).first()


def user_can_authenticate(user: User | None) -> bool:
    """simplejwt's USER_AUTHENTICATION_RULE: active, with a verified email address.

    The web login enforces verification through allauth; without this rule a program could
    get a JWT for an address nobody confirmed, and send mail from the server with it.
    """
    from allauth.account.models import EmailAddress  # noqa: PLC0415 - allauth models load after apps

    return (
        user is not None
        and user.is_active
        and EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()
    )
