"""Read-side queries of the accounts app."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import ApiKey, Membership, Organization, User

SESSION_ORGANIZATION_KEY = "organization_id"


def organization_list_for_user(*, user: User) -> QuerySet[Organization]:
    return Organization.objects.filter(memberships__user=user).order_by("id")


def membership_get(*, user: User, organization: Organization) -> Membership | None:
    return Membership.objects.filter(user=user, organization=organization).first()


def organization_get_for_request(*, request: HttpRequest) -> Organization | None:
    """The organisation a request acts for: the API key's, else the one chosen in the session, else the first."""
    auth = getattr(request, "auth", None)
    if isinstance(auth, ApiKey):
        return auth.organization
    user = request.user
    if not user.is_authenticated:
        return None
    organizations = organization_list_for_user(user=user)  # type: ignore[arg-type]
    session = getattr(request, "session", None)
    chosen = session.get(SESSION_ORGANIZATION_KEY) if session is not None else None
    if chosen is not None and (organization := organizations.filter(id=chosen).first()):
        return organization
    return organizations.first()


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
