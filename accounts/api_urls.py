"""/api/v1/auth/token/… (JWT login and refresh) and /api/v1/api-keys/ (mounted at /api/v1/ by config.urls)."""

from __future__ import annotations

from django.urls import path

from accounts import api_organizations as orgs
from accounts.api import ApiKeyCollectionApi, ApiKeyRevokeApi, TokenLogoutApi, TokenObtainApi, TokenRefreshApi

app_name = "accounts-api"

urlpatterns = [
    path("auth/token/", TokenObtainApi.as_view(), name="token-obtain"),
    path("auth/token/refresh/", TokenRefreshApi.as_view(), name="token-refresh"),
    path("auth/logout/", TokenLogoutApi.as_view(), name="token-logout"),
    path("api-keys/", ApiKeyCollectionApi.as_view(), name="api-key-list"),
    path("api-keys/<int:api_key_id>/", ApiKeyRevokeApi.as_view(), name="api-key-detail"),
    path("organizations/", orgs.OrganizationListApi.as_view(), name="organization-list"),
    path("organization/", orgs.OrganizationDetailApi.as_view(), name="organization-detail"),
    path("organization/transfer/", orgs.OwnershipTransferApi.as_view(), name="organization-transfer"),
    path("organization/leave/", orgs.OrganizationLeaveApi.as_view(), name="organization-leave"),
    path("members/", orgs.MemberListApi.as_view(), name="member-list"),
    path("members/<int:membership_id>/", orgs.MemberDetailApi.as_view(), name="member-detail"),
    path("invitations/", orgs.InvitationCollectionApi.as_view(), name="invitation-list"),
    path("invitations/<int:invitation_id>/", orgs.InvitationRevokeApi.as_view(), name="invitation-detail"),
    path("audit-events/", orgs.AuditEventListApi.as_view(), name="audit-event-list"),
    path("audit-events/<int:audit_event_id>/", orgs.AuditEventDetailApi.as_view(), name="audit-event-detail"),
]
