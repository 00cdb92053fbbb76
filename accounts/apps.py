from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # MFA audit receivers; a password change or reset ends the user's refresh tokens.
        from accounts import receivers, receivers_auth  # noqa: F401, PLC0415
