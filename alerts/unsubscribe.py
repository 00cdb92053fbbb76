"""Signed one-click unsubscribe links (RFC 8058): who, which organisation, which kind of mail.

The token is signed with SECRET_KEY (django.core.signing), so the link needs no login and
cannot be forged for another address; it never expires (an old email's link keeps working).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing

SALT = "alerts.unsubscribe"


@dataclass(frozen=True)
class UnsubscribeRequest:
    organization_id: int
    email: str
    event: str  # a Notification.event value, or "all"


def unsubscribe_token(*, organization_id: int, email: str, event: str) -> str:
    return signing.dumps({"o": organization_id, "e": email.lower(), "k": event}, salt=SALT, compress=True)


def unsubscribe_url(*, organization_id: int, email: str, event: str) -> str:
    token = unsubscribe_token(organization_id=organization_id, email=email, event=event)
    return f"{settings.SITE_URL}/alerts/unsubscribe/{token}/"


def unsubscribe_token_read(token: str) -> UnsubscribeRequest | None:
    """What a token asks for, or None if it was not made here (bad signature, garbage)."""
    try:
        value = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(value, dict):
        return None
    try:
        return UnsubscribeRequest(organization_id=int(value["o"]), email=str(value["e"]), event=str(value["k"]))
    except (KeyError, TypeError, ValueError):
        return None
