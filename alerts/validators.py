"""Field rules for channels, shared by the services, the web forms and the API."""

from __future__ import annotations

import base64
import binascii
import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from core.netguard import TargetRejected, validate_target_url

SECRET_PREFIX = "whsec_"  # noqa: S105 - a format prefix, not a secret
SECRET_MIN_BYTES = 24
SECRET_MAX_BYTES = 64
_BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")


def validate_email_target(value: str) -> None:
    validate_email(value)


def validate_webhook_url(url: str) -> None:
    """The network guard's save-time rules: http(s) only, no private or metadata addresses."""
    try:
        validate_target_url(url)
    except TargetRejected as exc:
        raise ValidationError(exc.message, code=exc.kind) from exc


def webhook_secret_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_<base64>` secret (Standard Webhooks); ValueError if malformed."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("missing whsec_ prefix")
    encoded = secret[len(SECRET_PREFIX) :]
    if not _BASE64.match(encoded):
        raise ValueError("not base64")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64") from exc


def validate_webhook_secret(secret: str) -> None:
    try:
        key = webhook_secret_key(secret)
    except ValueError as exc:
        raise ValidationError(
            "A secret has the form whsec_ followed by base64 of 24 to 64 random bytes.", code="invalid"
        ) from exc
    if not SECRET_MIN_BYTES <= len(key) <= SECRET_MAX_BYTES:
        raise ValidationError(
            f"The secret must encode {SECRET_MIN_BYTES} to {SECRET_MAX_BYTES} bytes, not {len(key)}.", code="length"
        )
