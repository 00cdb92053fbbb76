"""HTML pages for organisations: create, switch, settings, delete, members, invitations, audit log.

Every settings page uses PermissionRequiredMixin with permissions from the role table
(accounts.roles); ids in URLs are looked up in the request's organisation only, so another
organisation's id is a 404 exactly like a missing one.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from accounts.exceptions import AccountsError
from accounts.forms_organizations import (
    InvitationCreateForm,
    MemberRoleForm,
    OrganizationCreateForm,
    OrganizationDeleteForm,
    OrganizationSettingsForm,
    OrganizationSwitchForm,
    OwnershipTransferForm,
)
from accounts.mixins import PermissionRequiredMixin
from accounts.models import Membership, Organization
from accounts.ratelimits import invitation_rate_limit
from accounts.roles import Permission, role_can
from accounts.selectors import SESSION_ORGANIZATION_KEY, membership_get, role_for_request
from accounts.selectors_organizations import (
    invitation_get_in_organization,
    invitation_list_pending_for_organization,
    membership_get_in_organization,
    membership_list_for_organization,
)
from accounts.services import (
    actor_for_request,
    invitation_create,
    invitation_revoke,
    membership_remove,
    membership_remove_allowed,
    membership_role_change,
    membership_role_change_allowed,
    organization_add,
    organization_delete,
    organization_update,
    ownership_transfer,
)

logger = logging.getLogger(__name__)


def _safe_next(request: HttpRequest, target: str | None, default: str = "/") -> str:
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return target
    return default


class OrganizationPageMixin(PermissionRequiredMixin):
    @cached_property
    def role(self) -> str | None:
        return role_for_request(request=self.request)


# --- organisations ------------------------------------------------------------------


class OrganizationCreateView(LoginRequiredMixin, View):
    """Start another organisation; its creator is the owner and it becomes the current one."""

    template_name = "accounts/organization_form.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": OrganizationCreateForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = OrganizationCreateForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form})
        organization = organization_add(
            owner=request.user,  # type: ignore[arg-type]
            name=form.cleaned_data["name"],
            actor=actor_for_request(request),
        )
        request.session[SESSION_ORGANIZATION_KEY] = organization.pk
        messages.success(request, f"“{organization.name}” is created and you are its owner.")
        return HttpResponseRedirect("/")


class OrganizationSwitchView(LoginRequiredMixin, View):
    """POST an organisation id: it becomes the current one. Not one of yours: 404."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        form = OrganizationSwitchForm(request.POST)
        if not form.is_valid():
            raise Http404("No such organisation.")
        organization = Organization.objects.filter(pk=form.cleaned_data["organization"]).first()
        if organization is None or membership_get(user=request.user, organization=organization) is None:  # type: ignore[arg-type]
            raise Http404("No such organisation.")
        request.session[SESSION_ORGANIZATION_KEY] = organization.pk
        messages.success(request, f"You are now working in “{organization.name}”.")
        return HttpResponseRedirect(_safe_next(request, form.cleaned_data.get("next")))


class OrganizationSettingsView(OrganizationPageMixin, View):
    """Everyone sees the settings; admins and owners change the name, the MFA requirement and retention."""

    read_permission = Permission.VIEW
    write_permission = Permission.MANAGE_ORGANIZATION
    template_name = "accounts/organization_settings.html"

    def _render(self, form: OrganizationSettingsForm) -> HttpResponse:
        can_change = role_can(self.role, Permission.MANAGE_ORGANIZATION)
        if not can_change:
            for field in form.fields.values():
                field.disabled = True
        context = {"organization": self.organization, "form": form, "can_change": can_change}
        return render(self.request, self.template_name, context)

    def get(self, request: HttpRequest) -> HttpResponse:
        initial = {
            "name": self.organization.name,
            "require_mfa": self.organization.require_mfa,
            "result_retention_days": self.organization.result_retention_days,
        }
        return self._render(OrganizationSettingsForm(initial=initial))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = OrganizationSettingsForm(request.POST)
        if not form.is_valid():
            return self._render(form)
        organization_update(
            organization=self.organization,
            actor=actor_for_request(request),
            name=form.cleaned_data["name"],
            require_mfa=form.cleaned_data["require_mfa"],
            result_retention_days=form.cleaned_data["result_retention_days"],
        )
        messages.success(request, "The organisation settings are saved.")
        return HttpResponseRedirect(reverse("accounts:organization-settings"))


class OrganizationDeleteView(OrganizationPageMixin, View):
    """The owner deletes the organisation with everything in it, after typing its name."""

    read_permission = Permission.DELETE_ORGANIZATION
    write_permission = Permission.DELETE_ORGANIZATION
    template_name = "accounts/organization_confirm_delete.html"

    def _render(self, form: OrganizationDeleteForm) -> HttpResponse:
        return render(self.request, self.template_name, {"organization": self.organization, "form": form})

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(OrganizationDeleteForm(organization=self.organization))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = OrganizationDeleteForm(request.POST, organization=self.organization)
        if not form.is_valid():
            return self._render(form)
        name = self.organization.name
        organization_delete(organization=self.organization, actor=actor_for_request(request))
        request.session.pop(SESSION_ORGANIZATION_KEY, None)
        messages.success(request, f"“{name}” and everything in it are deleted.")
        return HttpResponseRedirect("/")


# --- members and invitations -------------------------------------------------------


class MemberListView(OrganizationPageMixin, View):
    """Members and pending invitations; admins invite (POST), change roles and remove members."""

    read_permission = Permission.VIEW
    write_permission = Permission.MANAGE_MEMBERS
    template_name = "accounts/member_list.html"

    def _render(self, invite_form: InvitationCreateForm, status: int = 200) -> HttpResponse:
        memberships = membership_list_for_organization(organization=self.organization)
        me = next((m for m in memberships if m.user_id == self.request.user.pk), None)
        can_manage = role_can(self.role, Permission.MANAGE_MEMBERS)
        can_transfer = role_can(self.role, Permission.TRANSFER_OWNERSHIP)
        rows = [
            {
                "membership": membership,
                "roles": [
                    role
                    for role in Membership.Role
                    if membership_role_change_allowed(actor_role=self.role, membership=membership, role=role)
                ],
                "can_remove": membership.pk != getattr(me, "pk", None)
                and membership_remove_allowed(
                    actor_role=self.role,
                    actor_user=self.request.user,  # type: ignore[arg-type]
                    membership=membership,
                ),
            }
            for membership in memberships
        ]
        context = {
            "organization": self.organization,
            "rows": rows,
            "me": me,
            "can_manage": can_manage,
            "invitations": invitation_list_pending_for_organization(organization=self.organization)
            if can_manage
            else [],
            "invite_form": invite_form,
            "transfer_form": OwnershipTransferForm(
                memberships=membership_list_for_organization(organization=self.organization).exclude(
                    user=self.request.user
                )
            )
            if can_transfer
            else None,
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(InvitationCreateForm())

    @method_decorator(invitation_rate_limit)
    def post(self, request: HttpRequest) -> HttpResponse:
        form = InvitationCreateForm(request.POST)
        if not form.is_valid():
            return self._render(form)
        try:
            issued = invitation_create(
                organization=self.organization,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                actor=actor_for_request(request),
            )
        except AccountsError as exc:
            form.add_error("email", exc.message)
            return self._render(form)
        if issued.email_sent:
            messages.success(request, f"Invitation sent to {issued.invitation.email}.")
        else:
            messages.warning(
                request, f"The invitation for {issued.invitation.email} is created, but the email could not be sent."
            )
        return HttpResponseRedirect(reverse("accounts:member-list"))


class MemberActionMixin(OrganizationPageMixin):
    """POST-only actions on one membership of the current organisation (another org's id: 404)."""

    http_method_names = ["post"]
    write_permission = Permission.MANAGE_MEMBERS
    membership: Membership

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and role_for_request(request=request) is not None:
            found = membership_get_in_organization(
                organization=self.organization, membership_id=kwargs["membership_id"]
            )
            if found is None:
                raise Http404("No such member.")
            self.membership = found
        return super().dispatch(request, *args, **kwargs)

    def done(self, message: str | None = None, error: AccountsError | None = None) -> HttpResponse:
        if error is not None:
            messages.error(self.request, error.message)
        elif message:
            messages.success(self.request, message)
        return HttpResponseRedirect(reverse("accounts:member-list"))


class MemberRoleChangeView(MemberActionMixin, View):
    def post(self, request: HttpRequest, membership_id: int) -> HttpResponse:
        form = MemberRoleForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose one of the roles offered.")
            return self.done()
        role = form.cleaned_data["role"]
        if not membership_role_change_allowed(actor_role=self.role, membership=self.membership, role=role):
            raise PermissionDenied("Only an owner can make someone an owner or change an owner's role.")
        try:
            membership_role_change(membership=self.membership, role=role, actor=actor_for_request(request))
        except AccountsError as exc:
            return self.done(error=exc)
        return self.done(f"{self.membership.user.email} is now {Membership.Role(role).label.lower()}.")


class MemberRemoveView(MemberActionMixin, View):
    def post(self, request: HttpRequest, membership_id: int) -> HttpResponse:
        if not membership_remove_allowed(
            actor_role=self.role,
            actor_user=request.user,  # type: ignore[arg-type]
            membership=self.membership,
        ):
            raise PermissionDenied("Only an owner can remove another owner.")
        try:
            membership_remove(membership=self.membership, actor=actor_for_request(request))
        except AccountsError as exc:
            return self.done(error=exc)
        return self.done(f"{self.membership.user.email} is removed from {self.organization.name}.")


class MemberLeaveView(OrganizationPageMixin, View):
    """Any member leaves the current organisation (not the last owner)."""

    http_method_names = ["post"]
    write_permission = Permission.VIEW

    def post(self, request: HttpRequest) -> HttpResponse:
        membership = membership_get(user=request.user, organization=self.organization)  # type: ignore[arg-type]
        if membership is None:
            raise Http404("No membership.")
        try:
            membership_remove(membership=membership, actor=actor_for_request(request))
        except AccountsError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(reverse("accounts:member-list"))
        request.session.pop(SESSION_ORGANIZATION_KEY, None)
        messages.success(request, f"You left {self.organization.name}.")
        return HttpResponseRedirect("/")


class OwnershipTransferView(OrganizationPageMixin, View):
    """The owner hands the organisation to another member and becomes an admin."""

    http_method_names = ["post"]
    write_permission = Permission.TRANSFER_OWNERSHIP

    def post(self, request: HttpRequest) -> HttpResponse:
        candidates = membership_list_for_organization(organization=self.organization).exclude(user=request.user)
        form = OwnershipTransferForm(request.POST, memberships=candidates)
        if not form.is_valid():
            messages.error(request, "Choose a member of this organisation.")
            return HttpResponseRedirect(reverse("accounts:member-list"))
        me = membership_get(user=request.user, organization=self.organization)  # type: ignore[arg-type]
        new_owner = form.cleaned_data["membership"]
        try:
            ownership_transfer(from_membership=me, to_membership=new_owner, actor=actor_for_request(request))  # type: ignore[arg-type]
        except AccountsError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{new_owner.user.email} now owns {self.organization.name}; you are an admin.")
        return HttpResponseRedirect(reverse("accounts:member-list"))


class InvitationRevokeView(OrganizationPageMixin, View):
    http_method_names = ["post"]
    write_permission = Permission.MANAGE_MEMBERS

    def post(self, request: HttpRequest, invitation_id: int) -> HttpResponse:
        invitation = invitation_get_in_organization(organization=self.organization, invitation_id=invitation_id)
        if invitation is None:
            raise Http404("No such invitation.")
        try:
            invitation_revoke(invitation=invitation, actor=actor_for_request(request))
        except AccountsError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"The invitation for {invitation.email} is withdrawn.")
        return HttpResponseRedirect(reverse("accounts:member-list"))
