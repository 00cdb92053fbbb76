"""REST API for organisations, members, invitations and the (read-only) audit log (STYLE R12).

Permissions come from the role table through OrganizationPermission: each view names its
`read_permission` / `write_permission`. An API key acts with its creator's role, capped by its
scope, so a write key of an admin may manage members and a read key never writes.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.decorators import method_decorator
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import MAX_RESULT_RETENTION_DAYS, ApiKey, Membership, Organization
from accounts.permissions import ApiKeyScopePermission, NotApiKey, OrganizationPermission
from accounts.ratelimits import invitation_rate_limit
from accounts.roles import Permission
from accounts.selectors import membership_get, organization_get_for_request, role_for_request
from accounts.selectors_organizations import (
    audit_event_get,
    audit_event_list_filtered,
    invitation_get_in_organization,
    invitation_list_pending_for_organization,
    membership_get_in_organization,
    membership_list_for_organization,
    membership_list_for_user,
)
from accounts.services import (
    actor_for_request,
    invitation_create,
    invitation_revoke,
    membership_remove,
    membership_remove_allowed,
    membership_role_change,
    membership_role_change_allowed,
    organization_update,
    ownership_transfer,
)
from accounts.services.invitations import INVITABLE_ROLES
from core.api import Pagination, or_404, paginated_response


def _organization(request: Request) -> Organization:
    return or_404(organization_get_for_request(request=request))


@extend_schema_serializer(component_name="OrganizationMembership")
class OrganizationWithRoleSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="organization.id")
    name = serializers.CharField(source="organization.name")
    require_mfa = serializers.BooleanField(source="organization.require_mfa")
    result_retention_days = serializers.IntegerField(source="organization.result_retention_days")
    role = serializers.ChoiceField(choices=Membership.Role.choices)


@extend_schema_serializer(component_name="Member")
class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField(source="user.email")
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    created_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="Invitation")
class InvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    invited_by = serializers.EmailField(source="invited_by.email", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(component_name="AuditEvent")
class AuditEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    action = serializers.CharField()
    actor_email = serializers.CharField()
    api_key_prefix = serializers.CharField(source="api_key.prefix", allow_null=True, default=None)
    target_type = serializers.CharField()
    target_id = serializers.CharField()
    target_repr = serializers.CharField()
    ip = serializers.IPAddressField(allow_null=True)
    data = serializers.JSONField()


# --- organisations ------------------------------------------------------------------


class OrganizationListApi(APIView):
    # Listing the caller's organisations needs no organisation of its own (a user who left
    # every one gets an empty list, not a 404).
    permission_classes = [IsAuthenticated, ApiKeyScopePermission]

    @extend_schema(responses=OrganizationWithRoleSerializer(many=True))
    def get(self, request: Request) -> Response:
        """The caller's organisations with their role in each (an API key sees only its own)."""
        if isinstance(request.auth, ApiKey):
            rows = [{"organization": request.auth.organization, "role": role_for_request(request=request)}]
            rows = [row for row in rows if row["role"] is not None]
        else:
            rows = list(membership_list_for_user(user=request.user))  # type: ignore[arg-type]
        return Response(OrganizationWithRoleSerializer(rows, many=True).data)


class OrganizationDetailApi(APIView):
    write_permission = Permission.MANAGE_ORGANIZATION

    @extend_schema_serializer(component_name="OrganizationInput")
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100, required=False)
        require_mfa = serializers.BooleanField(required=False)
        result_retention_days = serializers.IntegerField(
            required=False, min_value=1, max_value=MAX_RESULT_RETENTION_DAYS
        )

        def validate_name(self, value: str) -> str:
            if not value.strip():
                raise serializers.ValidationError("Enter a name.")
            return value.strip()

    def _body(self, request: Request, organization: Organization) -> dict[str, object]:
        return {"organization": organization, "role": role_for_request(request=request)}

    @extend_schema(responses=OrganizationWithRoleSerializer)
    def get(self, request: Request) -> Response:
        """The current organisation (the API key's, else the one chosen in the session) and your role."""
        return Response(OrganizationWithRoleSerializer(self._body(request, _organization(request))).data)

    @extend_schema(request=InputSerializer, responses=OrganizationWithRoleSerializer)
    def patch(self, request: Request) -> Response:
        """Rename it, switch "every member must use MFA" or set result_retention_days, 1..3650 (admin or owner)."""
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organization = organization_update(
            organization=_organization(request), actor=actor_for_request(request), **data.validated_data
        )
        return Response(OrganizationWithRoleSerializer(self._body(request, organization)).data)


class OwnershipTransferApi(APIView):
    write_permission = Permission.TRANSFER_OWNERSHIP

    @extend_schema_serializer(component_name="OwnershipTransferInput")
    class InputSerializer(serializers.Serializer):
        membership_id = serializers.IntegerField()

    @extend_schema(request=InputSerializer, responses=MemberSerializer)
    def post(self, request: Request) -> Response:
        """Make another member an owner; you (an owner) become an admin."""
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organization = _organization(request)
        target = membership_get_in_organization(
            organization=organization, membership_id=data.validated_data["membership_id"]
        )
        if target is None:
            raise serializers.ValidationError({"membership_id": ["Not a member of this organisation."]})
        me = or_404(membership_get(user=request.user, organization=organization))  # type: ignore[arg-type]
        new_owner = ownership_transfer(from_membership=me, to_membership=target, actor=actor_for_request(request))
        return Response(MemberSerializer(new_owner).data)


class OrganizationLeaveApi(APIView):
    # Leaving is a person's own decision: a key cannot make its creator leave.
    permission_classes = [IsAuthenticated, NotApiKey, OrganizationPermission]
    write_permission = Permission.VIEW

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        """Leave the current organisation (its last owner cannot: transfer ownership first)."""
        me = or_404(membership_get(user=request.user, organization=_organization(request)))  # type: ignore[arg-type]
        membership_remove(membership=me, actor=actor_for_request(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- members -----------------------------------------------------------------------


class MemberListApi(APIView):
    pagination_class = Pagination

    @extend_schema(responses=MemberSerializer(many=True))
    def get(self, request: Request) -> Response:
        """The members of the current organisation with their roles."""
        members = membership_list_for_organization(organization=_organization(request))
        return paginated_response(view=self, request=request, queryset=members, serializer_class=MemberSerializer)


def _membership(request: Request, membership_id: int) -> Membership:
    return or_404(membership_get_in_organization(organization=_organization(request), membership_id=membership_id))


class MemberUpdateApi(APIView):
    write_permission = Permission.MANAGE_MEMBERS

    @extend_schema_serializer(component_name="MemberRoleInput")
    class InputSerializer(serializers.Serializer):
        role = serializers.ChoiceField(choices=Membership.Role.choices)

    @extend_schema(request=InputSerializer, responses=MemberSerializer)
    def patch(self, request: Request, membership_id: int) -> Response:
        """Change a member's role. Only an owner makes owners or changes an owner; the last owner stays."""
        membership = _membership(request, membership_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        role = data.validated_data["role"]
        if not membership_role_change_allowed(
            actor_role=role_for_request(request=request), membership=membership, role=role
        ):
            raise PermissionDenied()
        membership = membership_role_change(membership=membership, role=role, actor=actor_for_request(request))
        return Response(MemberSerializer(membership).data)


class MemberRemoveApi(APIView):
    write_permission = Permission.MANAGE_MEMBERS

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, membership_id: int) -> Response:
        """Remove a member (only an owner removes another owner; the last owner stays)."""
        membership = _membership(request, membership_id)
        if not membership_remove_allowed(
            actor_role=role_for_request(request=request),
            actor_user=request.user,  # type: ignore[arg-type]
            membership=membership,
        ):
            raise PermissionDenied()
        membership_remove(membership=membership, actor=actor_for_request(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberDetailApi(MemberUpdateApi, MemberRemoveApi):
    """PATCH and DELETE share /members/<membership_id>/."""


# --- invitations ---------------------------------------------------------------------


class InvitationListApi(APIView):
    read_permission = Permission.MANAGE_MEMBERS
    pagination_class = Pagination

    @extend_schema(responses=InvitationSerializer(many=True))
    def get(self, request: Request) -> Response:
        """Pending invitations of the current organisation (admins and owners)."""
        invitations = invitation_list_pending_for_organization(organization=_organization(request))
        return paginated_response(
            view=self, request=request, queryset=invitations, serializer_class=InvitationSerializer
        )


class InvitationCreateApi(APIView):
    write_permission = Permission.MANAGE_MEMBERS

    @extend_schema_serializer(component_name="InvitationInput")
    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)
        # The same enum as every other role field; "owner" is refused (400): ownership is transferred.
        role = serializers.ChoiceField(choices=Membership.Role.choices)

        def validate_role(self, value: str) -> str:
            if value not in INVITABLE_ROLES:
                raise serializers.ValidationError("Invite as admin, member or viewer; transfer ownership instead.")
            return value

    @extend_schema(request=InputSerializer, responses={201: InvitationSerializer})
    @method_decorator(invitation_rate_limit)
    def post(self, request: Request) -> Response:
        """Invite an address: an email with a single-use link, valid ACCOUNTS_INVITATION_TTL_DAYS days.
        Replaces a pending invitation to the same address. Rate-limited per user and per IP (429)."""
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        issued = invitation_create(
            organization=_organization(request), actor=actor_for_request(request), **data.validated_data
        )
        body = InvitationSerializer(issued.invitation).data | {"email_sent": issued.email_sent}
        return Response(body, status=status.HTTP_201_CREATED)


class InvitationCollectionApi(InvitationListApi, InvitationCreateApi):
    """GET and POST share /invitations/."""


class InvitationRevokeApi(APIView):
    write_permission = Permission.MANAGE_MEMBERS

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, invitation_id: int) -> Response:
        """Withdraw a pending invitation: its link stops working."""
        invitation = or_404(
            invitation_get_in_organization(organization=_organization(request), invitation_id=invitation_id)
        )
        invitation_revoke(invitation=invitation, actor=actor_for_request(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- audit log ------------------------------------------------------------------------


class AuditEventListApi(APIView):
    """Read-only: no write handler, and no write_permission (any write is 403)."""

    read_permission = Permission.VIEW_AUDIT
    pagination_class = Pagination

    @extend_schema(
        parameters=[OpenApiParameter("action", str, description="Only events with this action, e.g. member.removed")],
        responses=AuditEventSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        """The organisation's audit log, newest first (admins and owners)."""
        action = str(request.query_params.get("action", ""))[:64]
        events = audit_event_list_filtered(organization=_organization(request), action=action)
        return paginated_response(view=self, request=request, queryset=events, serializer_class=AuditEventSerializer)


class AuditEventDetailApi(APIView):
    read_permission = Permission.VIEW_AUDIT

    @extend_schema(responses=AuditEventSerializer)
    def get(self, request: Request, audit_event_id: int) -> Response:
        """One audit event of the current organisation."""
        event = or_404(audit_event_get(organization=_organization(request), audit_event_id=audit_event_id))
        return Response(AuditEventSerializer(event).data)
