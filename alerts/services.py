"""Placeholder; see alerts/services/ once written."""

from __future__ import annotations

import base64
import secrets

from accounts.models import Organization
from alerts.models import Channel


def webhook_secret_generate() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def channel_create(*, organization: Organization, kind: str, name: str, target: str, secret: str = "") -> Channel:
    """Create a channel; a webhook without a given secret gets a fresh one."""
    if kind == Channel.Kind.WEBHOOK and not secret:
        secret = webhook_secret_generate()
    return Channel.objects.create(organization=organization, kind=kind, name=name, target=target, secret=secret)
