"""System checks of core: warn an operator when strangers could aim checks at private networks."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Warning, register

W001 = "core.W001"


@register(deploy=True)
def private_targets_with_open_signup(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """SSRF-09: with signup open, anyone can make the workers reach the private networks allowed."""
    if not settings.SIGNUP_OPEN or not (settings.ALLOW_PRIVATE_TARGETS or settings.CHECKS_ALLOWED_PRIVATE_NETWORKS):
        return []
    return [
        Warning(
            "Private targets are reachable (ALLOW_PRIVATE_TARGETS or CHECKS_ALLOWED_PRIVATE_NETWORKS) while "
            "SIGNUP_OPEN is true: anyone who signs up can make the workers connect to those networks.",
            hint="Set SIGNUP_OPEN=false (invite only), or narrow CHECKS_ALLOWED_PRIVATE_NETWORKS.",
            id=W001,
        )
    ]
