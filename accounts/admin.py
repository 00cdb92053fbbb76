"""Admin for operators: users, organisations, memberships and API keys (STYLE R33)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from accounts.exceptions import AccountsError, LastOwnerError
from accounts.forms import UserAdminChangeForm, UserAdminCreationForm
from accounts.models import ApiKey, AuditEvent, Invitation, Membership, Organization, User
from accounts.roles import permissions_of
from accounts.services import (
    actor_for_request,
    api_key_revoke,
    default_organization_name,
    membership_remove,
    membership_role_change,
    organization_create,
    organization_update,
    user_deactivate,
)


class OrganizationMembershipInline(admin.TabularInline):
    """The members of one organisation, read-only here: roles change and members leave through
    the Membership admin, whose saves go through the services (at least one owner always)."""

    model = Membership
    extra = 0
    fields = ("user", "role", "created_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Organization | None = None) -> bool:
        return False


class UserMembershipInline(admin.TabularInline):
    """The organisations of one user, read-only here (as on the organisation): roles change and
    memberships end in the Membership admin, through the services (at least one owner always)."""

    model = Membership
    extra = 0
    fields = ("organization", "role", "created_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserAdminChangeForm
    add_form = UserAdminCreationForm
    inlines = (UserMembershipInline,)
    list_display = ("email", "is_active", "is_staff", "is_superuser", "date_joined", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser", "groups")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined", "deletion_requested_at", "deletion_confirmed_at")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
        # Set by the user's own deletion request and its emailed confirmation (never by hand: the
        # purge hard-deletes only accounts whose signed token verifies).
        ("Deletion", {"fields": ("deletion_requested_at", "deletion_confirmed_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),)

    actions = ("deactivate",)

    @admin.action(description="Deactivate selected users", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = actor_for_request(request)
        active = list(queryset.filter(is_active=True).exclude(pk=request.user.pk))
        for user in active:
            user_deactivate(user=user, actor=actor)
        self.message_user(request, f"Deactivated {len(active)} user(s).", messages.SUCCESS)

    def get_inlines(self, request: HttpRequest, obj: User | None = None) -> list[type]:
        # On the add page the user gets their own organisation (below); memberships come after.
        return list(self.inlines) if obj is not None else []

    def save_model(self, request: HttpRequest, obj: User, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            # As at signup: every user owns an organisation, which also gets its default channel.
            organization_create(owner=obj, name=default_organization_name(obj))


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "id", "require_mfa", "result_retention_days", "created_at")
    list_filter = ("require_mfa",)
    search_fields = ("name", "memberships__user__email")
    readonly_fields = ("created_at",)
    date_hierarchy = "created_at"
    inlines = (OrganizationMembershipInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Organisations are created with their owner (signup, user_create, the user add page),
        # so the organization_created signal runs and they get their defaults.
        return False

    def save_model(self, request: HttpRequest, obj: Organization, form: ModelForm, change: bool) -> None:
        # Through the service, so a rename or an MFA switch by an operator is audited too.
        organization_update(
            organization=obj,
            actor=actor_for_request(request),
            name=form.cleaned_data.get("name"),
            require_mfa=form.cleaned_data.get("require_mfa"),
            result_retention_days=form.cleaned_data.get("result_retention_days"),
        )


class MembershipAdminForm(ModelForm):
    class Meta:
        model = Membership
        fields = ("user", "organization", "role")

    def clean_role(self) -> str:
        role = self.cleaned_data["role"]
        instance = self.instance
        if instance.pk and instance.role == Membership.Role.OWNER and role != Membership.Role.OWNER:
            owners = Membership.objects.filter(organization_id=instance.organization_id, role=Membership.Role.OWNER)
            if not owners.exclude(pk=instance.pk).exists():
                raise ValidationError(LastOwnerError().message, code="last_owner")
        return role


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Role changes and deletions go through the services: audited, and never the last owner."""

    form = MembershipAdminForm
    list_display = ("user", "organization", "role", "permissions", "created_at")
    list_filter = ("role",)
    search_fields = ("user__email", "organization__name")
    list_select_related = ("user", "organization")
    raw_id_fields = ("user", "organization")
    readonly_fields = ("permissions", "created_at")

    @admin.display(description="Permissions of the role (accounts.roles)")
    def permissions(self, obj: Membership) -> str:
        return ", ".join(sorted(permissions_of(obj.role)))

    def get_readonly_fields(self, request: HttpRequest, obj: Membership | None = None) -> tuple[str, ...]:
        # An existing membership only changes its role; moving it would bypass the owner rule.
        return (*self.readonly_fields, "user", "organization") if obj is not None else self.readonly_fields

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one at a time, through membership_remove
        return actions

    def save_model(self, request: HttpRequest, obj: Membership, form: ModelForm, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        if "role" in form.changed_data:
            try:
                membership_role_change(membership=obj, role=obj.role, actor=actor_for_request(request))
            except AccountsError as exc:
                self.message_user(request, exc.message, messages.ERROR)

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        try:
            membership_remove(membership=obj, actor=actor_for_request(request))
        except AccountsError as exc:
            request._membership_delete_refused = True  # type: ignore[attr-defined]
            self.message_user(request, exc.message, messages.ERROR)

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: int) -> HttpResponse:
        if getattr(request, "_membership_delete_refused", False):
            return HttpResponseRedirect(reverse("admin:accounts_membership_change", args=[obj_id]))
        return super().response_delete(request, obj_display, obj_id)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "organization",
        "scope",
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    list_filter = ("scope", ("revoked_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("name", "prefix", "organization__name", "created_by__email")
    list_select_related = ("organization", "created_by")
    # hashed_key is never shown: it is not in `fields`.
    fields = (
        "name",
        "organization",
        "created_by",
        "scope",
        "prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    # The scope is baked into the key's visible prefix, and revocation goes through the action.
    readonly_fields = ("organization", "created_by", "scope", "prefix", "created_at", "last_used_at", "revoked_at")
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A key is minted by accounts.services.api_key_create, which shows its plaintext once
        # to the user who asked for it; an operator has no use for one.
        return False

    @admin.action(description="Revoke selected API keys", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        active = list(queryset.filter(revoked_at=None))
        for api_key in active:
            api_key_revoke(api_key=api_key)
        self.message_user(request, f"Revoked {len(active)} API key(s).", messages.SUCCESS)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "organization", "role", "invited_by", "created_at", "expires_at", "accepted_at")
    list_filter = ("role", ("accepted_at", admin.EmptyFieldListFilter))
    search_fields = ("email", "organization__name", "invited_by__email")
    list_select_related = ("organization", "invited_by")
    # token_hash is never shown; invitations are sent from the organisation's members page.
    fields = ("email", "organization", "role", "invited_by", "created_at", "expires_at", "accepted_at", "revoked_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is only ever appended to, by the services."""

    list_display = ("created_at", "organization", "actor_email", "action", "target_type", "target_repr", "ip")
    list_filter = ("action", "created_at")
    search_fields = ("actor_email", "organization__name", "action", "target_repr", "ip")
    list_select_related = ("organization",)
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
