"""HTML pages of the accounts app, mounted at /settings/."""

from __future__ import annotations

from django.urls import path

from accounts import views, views_account, views_audit, views_organizations

app_name = "accounts"

urlpatterns = [
    path("account/", views_account.AccountView.as_view(), name="account"),
    path("account/delete/", views_account.AccountDeleteView.as_view(), name="account-delete"),
    path("api-keys/", views.ApiKeyListView.as_view(), name="api-key-list"),
    path("api-keys/<int:pk>/revoke/", views.ApiKeyRevokeView.as_view(), name="api-key-revoke"),
    path("organization/", views_organizations.OrganizationSettingsView.as_view(), name="organization-settings"),
    path("organization/delete/", views_organizations.OrganizationDeleteView.as_view(), name="organization-delete"),
    path(
        "organization/transfer/",
        views_organizations.OwnershipTransferView.as_view(),
        name="organization-transfer",
    ),
    path("members/", views_organizations.MemberListView.as_view(), name="member-list"),
    path("members/leave/", views_organizations.MemberLeaveView.as_view(), name="member-leave"),
    path(
        "members/<int:membership_id>/role/",
        views_organizations.MemberRoleChangeView.as_view(),
        name="member-role-change",
    ),
    path("members/<int:membership_id>/remove/", views_organizations.MemberRemoveView.as_view(), name="member-remove"),
    path(
        "invitations/<int:invitation_id>/revoke/",
        views_organizations.InvitationRevokeView.as_view(),
        name="invitation-revoke",
    ),
    path("audit/", views_audit.AuditEventListView.as_view(), name="audit-event-list"),
]
