"""Forms of the accounts app: the API-key page and the admin's user forms."""

from __future__ import annotations

from datetime import UTC, datetime, time

from django import forms
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils import timezone

from accounts.models import ApiKey, User


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses this key, e.g. “deploy script”.")
    scope = forms.ChoiceField(
        choices=[(ApiKey.Scope.READ, "Read only"), (ApiKey.Scope.WRITE, "Read and write")],
        initial=ApiKey.Scope.READ,
        widget=forms.RadioSelect,
    )
    expires_on = forms.DateField(
        required=False,
        label="Expires on (UTC)",
        help_text="Optional. The key stops working at 00:00 UTC on this day.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_expires_on(self) -> datetime | None:
        """The expiry as an aware datetime: midnight UTC at the start of the chosen day."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        if day <= timezone.now().astimezone(UTC).date():
            raise forms.ValidationError("Choose a day after today.", code="past")
        return datetime.combine(day, time.min, tzinfo=UTC)


class UserAdminCreationForm(AdminUserCreationForm):
    """The admin's add form for a user whose login is the email address."""

    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email",)
        field_classes: dict = {}

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("A user with this email address already exists.", code="unique")
        return email


class UserAdminChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"
        field_classes: dict = {}
