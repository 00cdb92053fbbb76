"""Forms of the user's own account page."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import User


class AccountDeleteForm(forms.Form):
    """Deleting the account asks for the password again, whatever the session's age."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.", code="wrong_password")
        return password
