"""API keys: mint, revoke, authenticate. Only a prefix and an HMAC of a key are stored."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import ApiKey, Organization, User

logger = logging.getLogger(__name__)

API_KEY_PREFIXES = {ApiKey.Scope.READ: "dw_ro_", ApiKey.Scope.WRITE: "dw_rw_"}
_VISIBLE_PREFIX_LEN = 14  # "dw_rw_" + 8 random characters
_MAX_KEY_LEN = 128
# A scope prefix, then token_urlsafe's alphabet. Anything else (NUL bytes, spaces) is no key.
_KEY_SHAPE = re.compile(r"^dw_(?:ro|rw)_[A-Za-z0-9_-]+$")
# last_used_at is written at most this often per key, so a busy key costs no write per request.
_LAST_USED_RESOLUTION = timedelta(seconds=60)


def _hash_key(key: str) -> str:
    return hmac.new(settings.API_KEY_PEPPER.encode(), key.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class IssuedApiKey:
    api_key: ApiKey
    key: str  # the plaintext, shown once and never stored


def api_key_create(
    *, organization: Organization, created_by: User, name: str, scope: str, expires_at: datetime | None = None
) -> IssuedApiKey:
    """Mint a key; only its prefix and HMAC are stored, the plaintext is returned once."""
    key = API_KEY_PREFIXES[ApiKey.Scope(scope)] + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        organization=organization,
        created_by=created_by,
        name=name,
        scope=scope,
        prefix=key[:_VISIBLE_PREFIX_LEN],
        hashed_key=_hash_key(key),
        expires_at=expires_at,
    )
    logger.info("api key created api_key=%s organization=%s", api_key.id, organization.id)
    return IssuedApiKey(api_key=api_key, key=key)


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke a key; the next request that uses it gets 401. Revoking twice is harmless."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        logger.info("api key revoked api_key=%s", api_key.id)
    return api_key


def api_key_authenticate(*, key: str, now: datetime | None = None) -> ApiKey | None:
    """The active key matching `key`, or None. Malformed input is simply no match."""
    if not key or len(key) > _MAX_KEY_LEN or not _KEY_SHAPE.match(key):
        return None
    api_key = (
        ApiKey.objects.select_related("organization", "created_by").filter(prefix=key[:_VISIBLE_PREFIX_LEN]).first()
    )
    if api_key is None or not hmac.compare_digest(api_key.hashed_key, _hash_key(key)):
        return None
    now = now or timezone.now()
    if api_key.revoked_at is not None or (api_key.expires_at is not None and api_key.expires_at <= now):
        return None
    if api_key.last_used_at is None or now - api_key.last_used_at >= _LAST_USED_RESOLUTION:
        ApiKey.objects.filter(id=api_key.id).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key
