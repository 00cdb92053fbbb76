"""Forms of the organisation, members, invitations and audit pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from accounts.models import MAX_RESULT_RETENTION_DAYS, Membership, Organization
from accounts.services.invitations import INVITABLE_ROLES


class OrganizationCreateForm(forms.Form):
    name = forms.CharField(max_length=100, label="Organisation name")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Enter a name.", code="blank")
        return name


class OrganizationSettingsForm(OrganizationCreateForm):
    require_mfa = forms.BooleanField(
        required=False,
        label="Every member must use two-factor authentication",
        help_text="Members without an authenticator app are asked to set one up before they can use this organisation.",
    )
    # Left out of a POST: unchanged.
    result_retention_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_RESULT_RETENTION_DAYS,
        label="Keep raw check results for (days)",
        help_text="Older results and heartbeat pings are deleted each night; "
        "hourly and daily summaries are kept longer.",
    )


class OrganizationDeleteForm(forms.Form):
    confirm_name = forms.CharField(max_length=100, label="Type the organisation's name to confirm")

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_confirm_name(self) -> str:
        typed = self.cleaned_data["confirm_name"]
        if typed.strip() != self.organization.name:
            raise forms.ValidationError("That is not the organisation's name.", code="mismatch")
        return typed


class InvitationCreateForm(forms.Form):
    email = forms.EmailField(max_length=254, label="Email address")
    role = forms.ChoiceField(
        choices=[(role.value, role.label) for role in INVITABLE_ROLES],
        initial=Membership.Role.MEMBER,
        help_text="Viewers read; members also manage monitors; admins also manage channels, keys and members.",
    )


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)


class OwnershipTransferForm(forms.Form):
    membership = forms.ModelChoiceField(queryset=Membership.objects.none(), label="New owner")

    def __init__(self, *args: Any, memberships: QuerySet[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["membership"]
        field.queryset = memberships  # type: ignore[attr-defined]
        field.label_from_instance = lambda m: f"{m.user.email} ({m.get_role_display()})"  # type: ignore[attr-defined]


class OrganizationSwitchForm(forms.Form):
    organization = forms.IntegerField(min_value=1)
    next = forms.CharField(required=False, max_length=2000)
