"""API keys: mint, revoke, authenticate. Only a prefix and an HMAC of a key are stored (KEY-01).

A key reads `dw_rw_` (or `dw_ro_` for read-only), 32 random base62 characters (190 bits), then a
6-character checksum: base32 of SHA-256 over the random part. A mistyped key fails the checksum
before any database lookup. The row keeps `prefix` (the scope prefix and the first 8 random
characters, shown to tell keys apart) and HMAC-SHA256(API_KEY_PEPPER, key).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import ApiKey, Organization, User
from accounts.services.audit import Actor, audit_record

logger = logging.getLogger(__name__)

API_KEY_PREFIXES = {ApiKey.Scope.READ: "dw_ro_", ApiKey.Scope.WRITE: "dw_rw_"}
_ALPHABET = string.ascii_letters + string.digits
_RANDOM_LEN = 32  # log2(62) * 32 = 190 bits
_CHECKSUM_LEN = 6
_VISIBLE_PREFIX_LEN = 14  # "dw_rw_" + 8 random characters
# The only shape a key has. Anything else (NUL bytes, spaces, over-long input) is no key.
_KEY_SHAPE = re.compile(r"^dw_(?:ro|rw)_([A-Za-z0-9]{32})([A-Z2-7]{6})$")
# last_used_at is written at most this often per key, so a busy key costs no write per request.
_LAST_USED_RESOLUTION = timedelta(seconds=60)


def _hash_key(key: str) -> str:
    return hmac.new(settings.API_KEY_PEPPER.encode(), key.encode(), hashlib.sha256).hexdigest()


def api_key_checksum(random_part: str) -> str:
    """The 6 checksum characters that end a key whose random part is `random_part`."""
    return base64.b32encode(hashlib.sha256(random_part.encode()).digest()).decode()[:_CHECKSUM_LEN]


def api_key_well_formed(key: str) -> bool:
    """True if `key` has a key's shape and a matching checksum (no database access)."""
    match = _KEY_SHAPE.match(key or "")
    # A plain comparison: the checksum is no secret (anyone can compute it), only a typo guard.
    return match is not None and api_key_checksum(match.group(1)) == match.group(2)


@dataclass(frozen=True)
class IssuedApiKey:
    api_key: ApiKey
    key: str  # the plaintext, shown once and never stored


@transaction.atomic
def api_key_create(
    *,
    organization: Organization,
    created_by: User,
    name: str,
    scope: str,
    expires_at: datetime | None = None,
    actor: Actor | None = None,
) -> IssuedApiKey:
    """Mint a key; only its prefix and HMAC are stored, the plaintext is returned once. Audited."""
    random_part = "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_LEN))
    key = API_KEY_PREFIXES[ApiKey.Scope(scope)] + random_part + api_key_checksum(random_part)
    api_key = ApiKey.objects.create(
        organization=organization,
        created_by=created_by,
        name=name,
        scope=scope,
        prefix=key[:_VISIBLE_PREFIX_LEN],
        hashed_key=_hash_key(key),
        expires_at=expires_at,
    )
    audit_record(
        organization=organization,
        actor=actor or Actor(user=created_by),
        action="api_key.created",
        target=api_key,
        data={"name": name, "scope": scope, "prefix": api_key.prefix},
    )
    logger.info("api key created api_key=%s organization=%s", api_key.id, organization.id)
    return IssuedApiKey(api_key=api_key, key=key)


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor: Actor | None = None) -> ApiKey:
    """Revoke a key; the next request that uses it gets 401. Revoking twice is harmless (one audit row)."""
    # Conditional UPDATE: of two concurrent revokes, one sets the time and writes the audit row.
    now = timezone.now()
    if ApiKey.objects.filter(id=api_key.id, revoked_at__isnull=True).update(revoked_at=now) == 1:
        audit_record(
            organization=api_key.organization,
            actor=actor,
            action="api_key.revoked",
            target=api_key,
            data={"name": api_key.name, "prefix": api_key.prefix},
        )
        logger.info("api key revoked api_key=%s", api_key.id)
    api_key.refresh_from_db(fields=["revoked_at"])
    return api_key


def api_key_authenticate(*, key: str, now: datetime | None = None) -> ApiKey | None:
    """The active key matching `key`, or None. Malformed input is simply no match."""
    if not api_key_well_formed(key):
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
        # Conditional, so concurrent requests in several processes still write once per window.
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - _LAST_USED_RESOLUTION)
        ApiKey.objects.filter(stale, id=api_key.id).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key
