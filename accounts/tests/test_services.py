"""accounts.services: user_create and the API-key life cycle (create, authenticate, revoke)."""

from __future__ import annotations

import hmac
import logging
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import IntegrityError, connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import ApiKey, Membership, Organization, User
from accounts.services import api_key_authenticate, api_key_create, api_key_revoke, user_create
from accounts.services.api_keys import api_key_checksum
from conftest import organization_of

pytestmark = pytest.mark.django_db


def issue(user: User, *, scope: str = "write", **kwargs):  # noqa: ANN201 - an IssuedApiKey
    return api_key_create(organization=organization_of(user), created_by=user, name="ci", scope=scope, **kwargs)


# --- user_create ---------------------------------------------------------------------


def test_user_create_makes_organization_with_owner_membership() -> None:
    user = user_create(email="Carol@Example.com", password="correct horse battery", organization_name="Carol Co")

    assert user.email == "carol@example.com"
    assert user.check_password("correct horse battery")
    (membership,) = Membership.objects.filter(user=user)
    assert membership.role == Membership.Role.OWNER
    assert membership.organization.name == "Carol Co"


def test_user_create_default_organization_name() -> None:
    user = user_create(email="dave@example.com", password="correct horse battery")

    assert organization_of(user).name == "dave's organisation"


def test_user_create_without_password_has_unusable_password() -> None:
    user = user_create(email="erin@example.com", password=None)

    assert not user.has_usable_password()


def test_user_create_adds_email_channel_to_owner_address() -> None:
    # alerts listens to accounts' organization_created signal; looked up by name because
    # accounts sits below alerts and must not import it (STYLE R2).
    channel_model = apps.get_model("alerts", "Channel")

    user = user_create(email="frank@example.com", password="correct horse battery")

    channel = channel_model.objects.get(organization=organization_of(user))
    assert (channel.kind, channel.target) == ("email", "frank@example.com")


def test_user_create_duplicate_email_leaves_no_orphan_organization(alice) -> None:
    organizations = Organization.objects.count()

    with pytest.raises(IntegrityError):
        user_create(email="alice@example.com", password="correct horse battery")

    assert Organization.objects.count() == organizations
    assert User.objects.filter(email="alice@example.com").count() == 1


# --- api_key_create ------------------------------------------------------------------


@pytest.mark.parametrize(("scope", "prefix"), [("read", "dw_ro_"), ("write", "dw_rw_")])
def test_api_key_create_prefix_follows_scope(alice, scope, prefix) -> None:
    issued = issue(alice, scope=scope)

    assert issued.key.startswith(prefix)
    assert issued.api_key.scope == scope
    assert issued.api_key.prefix == issued.key[:14]
    assert issued.api_key.prefix.startswith(prefix)


def test_api_key_create_stores_a_hash_not_the_key(alice) -> None:
    issued = issue(alice)

    stored = ApiKey.objects.get(id=issued.api_key.id)
    assert len(issued.key) == 6 + 32 + 6  # scope prefix, 32 base62 characters (190 bits), checksum
    assert issued.key not in str(model_to_dict(stored))
    assert len(stored.hashed_key) == 64
    int(stored.hashed_key, 16)  # hex
    assert stored.hashed_key != issued.key
    assert stored.organization == organization_of(alice)
    assert stored.created_by == alice
    assert stored.revoked_at is None
    assert stored.last_used_at is None


def test_api_key_create_keys_are_unique(alice) -> None:
    keys = {issue(alice).key for _ in range(20)}

    assert len(keys) == 20
    assert ApiKey.objects.values("prefix").distinct().count() == 20


def test_key_05_api_key_create_and_use_never_log_the_key(alice, caplog) -> None:
    caplog.set_level(logging.DEBUG)

    issued = issue(alice)
    api_key_authenticate(key=issued.key)
    api_key_authenticate(key=issued.key[:-1] + "x")

    assert caplog.records, "the service should log the creation"
    assert issued.key not in caplog.text
    assert issued.key[14:] not in caplog.text


# --- api_key_authenticate ------------------------------------------------------------


def test_api_key_authenticate_returns_the_key(alice) -> None:
    issued = issue(alice)

    api_key = api_key_authenticate(key=issued.key)

    assert api_key == issued.api_key
    assert api_key.organization == organization_of(alice)
    assert api_key.created_by == alice


def test_api_key_authenticate_wrong_secret_with_valid_prefix_none(alice) -> None:
    issued = issue(alice)
    last = "A" if issued.key[-1] != "A" else "B"

    assert api_key_authenticate(key=issued.key[:-1] + last) is None
    assert api_key_authenticate(key=issued.key + "x") is None
    assert api_key_authenticate(key=issued.key[:14]) is None


def test_key_04_api_key_authenticate_compares_in_constant_time(alice, monkeypatch) -> None:
    issued = issue(alice)
    calls: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a, b):  # noqa: ANN001, ANN202
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr("accounts.services.api_keys.hmac.compare_digest", spy)

    # A wrong secret with a valid checksum reaches the database and the comparison.
    random_part = issued.key[6:14] + ("a" * 24 if issued.key[14:38] != "a" * 24 else "b" * 24)
    forged = issued.key[:6] + random_part + api_key_checksum(random_part)
    assert api_key_authenticate(key=forged) is None
    api_key_authenticate(key=issued.key)

    assert len(calls) == 2


def test_api_key_authenticate_expiry(alice) -> None:
    now = timezone.now()
    issued = issue(alice, expires_at=now + timedelta(hours=1))

    assert api_key_authenticate(key=issued.key, now=now) == issued.api_key
    assert api_key_authenticate(key=issued.key, now=now + timedelta(minutes=59)) == issued.api_key
    assert api_key_authenticate(key=issued.key, now=now + timedelta(hours=1)) is None
    assert api_key_authenticate(key=issued.key, now=now + timedelta(days=1)) is None


def test_api_key_authenticate_expired_key_none(alice) -> None:
    issued = issue(alice, expires_at=timezone.now() - timedelta(seconds=1))

    assert api_key_authenticate(key=issued.key) is None


def test_api_key_authenticate_revoked_none(alice) -> None:
    issued = issue(alice)
    api_key_revoke(api_key=issued.api_key)

    assert api_key_authenticate(key=issued.key) is None


def test_api_key_authenticate_key_of_another_org_stays_its_own(alice, mallory) -> None:
    alices = issue(alice)
    mallorys = issue(mallory)

    assert api_key_authenticate(key=alices.key).organization == organization_of(alice)
    assert api_key_authenticate(key=mallorys.key).organization == organization_of(mallory)


def test_key_05_api_key_authenticate_writes_last_used_at_at_most_once_per_minute(alice) -> None:
    issued = issue(alice)
    start = timezone.now()

    def authenticate_at(seconds: float) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            assert api_key_authenticate(key=issued.key, now=start + timedelta(seconds=seconds)) is not None
        return [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")]

    assert len(authenticate_at(0)) == 1
    for seconds in (1, 30, 59.9):
        assert authenticate_at(seconds) == []
    issued.api_key.refresh_from_db()
    assert issued.api_key.last_used_at == start

    assert len(authenticate_at(60)) == 1
    issued.api_key.refresh_from_db()
    assert issued.api_key.last_used_at == start + timedelta(seconds=60)


def test_key_05_api_key_authenticate_hundred_requests_write_once(alice) -> None:
    issued = issue(alice)

    with CaptureQueriesContext(connection) as queries:
        for _ in range(100):
            assert api_key_authenticate(key=issued.key) is not None

    updates = [q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    assert len(updates) == 1


@pytest.mark.parametrize(
    "key",
    [
        "",
        " ",
        "garbage",
        "dw_rw_",
        "dw_xx_abcdefghijklmnopqrstuvwxyz",
        "Bearer dw_rw_abc",
        "dw_rw_" + "a" * 500,
        "dw_rw_ü\n' OR 1=1 --",
        "dw_ro_%",
    ],
)
def test_api_key_authenticate_malformed_none(alice, key) -> None:
    issue(alice)

    assert api_key_authenticate(key=key) is None


def test_api_key_authenticate_nul_byte_none(alice) -> None:
    # PostgreSQL refuses NUL in a text parameter (DataError), which the API would turn into a 500.
    issue(alice)

    assert api_key_authenticate(key="dw_rw_\x00" + "a" * 43) is None


def test_api_key_authenticate_prefix_wildcards_match_nothing(alice) -> None:
    issued = issue(alice)

    assert api_key_authenticate(key=issued.key[:6] + "%" * 8 + issued.key[14:]) is None
    assert api_key_authenticate(key=issued.key[:6] + "_" * 8 + issued.key[14:]) is None


# --- api_key_revoke ------------------------------------------------------------------


def test_api_key_revoke_sets_revoked_at_and_keeps_the_row(alice) -> None:
    issued = issue(alice)

    api_key_revoke(api_key=issued.api_key)

    stored = ApiKey.objects.get(id=issued.api_key.id)
    assert stored.revoked_at is not None
    assert not stored.is_active


def test_api_key_revoke_twice_is_harmless(alice) -> None:
    issued = issue(alice)
    api_key_revoke(api_key=issued.api_key)
    first = ApiKey.objects.get(id=issued.api_key.id).revoked_at

    api_key_revoke(api_key=ApiKey.objects.get(id=issued.api_key.id))

    assert ApiKey.objects.get(id=issued.api_key.id).revoked_at == first
