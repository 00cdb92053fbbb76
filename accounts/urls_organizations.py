"""Organisation pages outside /settings/: create, switch, and the invitation link (mounted at the root)."""

from __future__ import annotations

from django.urls import path

from accounts import views_invitations, views_organizations

app_name = "organizations"

urlpatterns = [
    path("organizations/new/", views_organizations.OrganizationCreateView.as_view(), name="organization-create"),
    path("organizations/switch/", views_organizations.OrganizationSwitchView.as_view(), name="organization-switch"),
    path("invitations/<str:token>/", views_invitations.InvitationAcceptView.as_view(), name="invitation-accept"),
]
