"""Account lifecycle through HTTP: passwords (AUTH-02), email verification and change (AUTH-07),
password change and reset, the account page, closed signup. What deletion and an unverified
account mean for monitors and channels is in tests/test_account_deletion.py (layering)."""

from __future__ import annotations

import re
import time

import pytest
from allauth.account import app_settings as allauth_settings
from allauth.account.models import EmailAddress, EmailConfirmation
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.test import Client
from django.utils import timezone

from accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"
PBKDF2 = "django.contrib.auth.hashers.PBKDF2PasswordHasher"
LINK = re.compile(r"https?://\S+/accounts/confirm-email/(\S+)/")


def signup(client: Client, email: str, password: str):  # noqa: ANN201 - a test response
    return client.post("/accounts/signup/", {"email": email, "password1": password, "password2": password})


def confirmation_key(message) -> str:  # noqa: ANN001
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1)


def confirm(client: Client, key: str):  # noqa: ANN201
    """allauth confirms on POST only (ACCOUNT_CONFIRM_EMAIL_ON_GET is False)."""
    return client.post(f"/accounts/confirm-email/{key}/")


def assert_link_dead(client: Client, key: str) -> None:
    """A dead link: the page says so, and confirming it is a 404."""
    assert "expired or is invalid" in client.get(f"/accounts/confirm-email/{key}/").content.decode()
    assert confirm(client, key).status_code == 404


def reauthenticate(client: Client, password: str = PASSWORD) -> None:
    response = client.post("/accounts/reauthenticate/", {"password": password})
    assert response.status_code == 302, response.content[:500]


# --- AUTH-02 passwords ----------------------------------------------------------------


def test_auth_02_argon2_is_the_first_password_hasher() -> None:
    from config.settings import base  # noqa: PLC0415 - the real settings, not the test override

    assert base.PASSWORD_HASHERS[0] == ARGON2


@pytest.mark.parametrize(
    ("password", "reason"),
    [("Tr0ub4dor&3x", None), ("Tr0ub4dor&3", "too short"), ("password1234", "too common")],
)
def test_auth_02_signup_rejects_short_and_common_passwords(settings, mailoutbox, password, reason) -> None:
    settings.PASSWORD_HASHERS = [ARGON2]
    response = signup(Client(), "newcomer@example.com", password)

    if reason is None:  # the 12-character control case passes
        assert response.status_code == 302
        assert User.objects.filter(email="newcomer@example.com").exists()
        return
    assert response.status_code == 200
    assert reason in response.content.decode()
    assert not User.objects.filter(email="newcomer@example.com").exists()
    assert mailoutbox == []


@pytest.mark.parametrize("length", [64, 128])
def test_auth_02_signup_accepts_long_passphrases_with_spaces_and_emoji(settings, length) -> None:
    settings.PASSWORD_HASHERS = [ARGON2]
    phrase = ("correct horse 🐎 battery staple 📎 " * 10)[:length]
    assert len(phrase) == length
    email = f"long{length}@example.com"

    response = signup(Client(), email, phrase)

    assert response.status_code == 302
    user = User.objects.get(email=email)
    assert user.password.startswith("argon2$")
    assert user.check_password(phrase)


def test_auth_02_login_with_a_legacy_pbkdf2_hash_rehashes_it_as_argon2(settings, alice) -> None:
    settings.PASSWORD_HASHERS = [ARGON2, PBKDF2]
    User.objects.filter(pk=alice.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    alice.refresh_from_db()
    assert alice.password.startswith("pbkdf2_sha256$")

    client = Client()
    response = client.post("/accounts/login/", {"login": alice.email, "password": PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)
    alice.refresh_from_db()
    assert alice.password.startswith("argon2$")


# --- AUTH-07 email verification and change ----------------------------------------------


def test_auth_07_verification_link_works_once(mailoutbox) -> None:
    signup(Client(), "once@example.com", PASSWORD)
    key = confirmation_key(mailoutbox[-1])

    first = confirm(Client(), key)
    assert first.status_code == 302
    assert EmailAddress.objects.get(email="once@example.com").verified

    assert_link_dead(Client(), key)
    assert EmailAddress.objects.get(email="once@example.com").verified


def _signed_in_the_past(pk: int, seconds_ago: int) -> str:
    """The HMAC key allauth would have mailed `seconds_ago` seconds ago (time travel via the key)."""

    class PastSigner(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int(time.time()) - seconds_ago)

    return PastSigner(salt=allauth_settings.SALT).sign_object(pk)


def test_auth_07_verification_link_expires_after_24_hours(mailoutbox) -> None:
    signup(Client(), "late@example.com", PASSWORD)
    address = EmailAddress.objects.get(email="late@example.com")
    assert allauth_settings.EMAIL_CONFIRMATION_EXPIRE_DAYS == 1
    # The mailed key is exactly this signature (same signer, salt and id).
    assert signing.loads(confirmation_key(mailoutbox[-1]), salt=allauth_settings.SALT) == address.pk

    assert_link_dead(Client(), _signed_in_the_past(address.pk, 24 * 3600 + 5))
    address.refresh_from_db()
    assert not address.verified

    fresh = confirm(Client(), _signed_in_the_past(address.pk, 23 * 3600))
    assert fresh.status_code == 302
    address.refresh_from_db()
    assert address.verified


def test_auth_07_database_confirmations_also_work_once_and_expire_after_24_hours(settings, mailoutbox) -> None:
    settings.ACCOUNT_EMAIL_CONFIRMATION_HMAC = False
    signup(Client(), "db1@example.com", PASSWORD)
    signup(Client(), "db2@example.com", PASSWORD)
    stale = EmailConfirmation.objects.get(email_address__email="db1@example.com")
    EmailConfirmation.objects.filter(pk=stale.pk).update(sent=timezone.now() - timezone.timedelta(hours=24, seconds=5))
    good = EmailConfirmation.objects.get(email_address__email="db2@example.com")

    assert_link_dead(Client(), stale.key)
    assert not EmailAddress.objects.get(email="db1@example.com").verified

    assert confirm(Client(), good.key).status_code == 302
    assert EmailAddress.objects.get(email="db2@example.com").verified
    assert_link_dead(Client(), good.key)


def _request_email_change(client: Client, new_email: str):  # noqa: ANN202
    return client.post("/accounts/email/", {"email": new_email, "action_add": ""})


def test_auth_07_email_change_requires_the_password_and_notifies_the_old_address(alice, mailoutbox) -> None:
    client = Client()
    client.force_login(alice)

    asked = _request_email_change(client, "alice.new@example.com")
    assert asked.status_code == 302
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    assert not EmailAddress.objects.filter(email="alice.new@example.com").exists()

    wrong = client.post("/accounts/reauthenticate/", {"password": "not my password at all"})
    assert wrong.status_code == 200
    reauthenticate(client)
    if not EmailAddress.objects.filter(email="alice.new@example.com").exists():
        _request_email_change(client, "alice.new@example.com")

    pending = EmailAddress.objects.get(email="alice.new@example.com")
    assert pending.verified is False
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"  # still the login and alert address
    to_new = [m for m in mailoutbox if m.to == ["alice.new@example.com"]]
    assert len(to_new) == 1

    assert confirm(client, confirmation_key(to_new[0])).status_code == 302

    alice.refresh_from_db()
    assert alice.email == "alice.new@example.com"
    assert list(EmailAddress.objects.filter(user=alice).values_list("email", "verified", "primary")) == [
        ("alice.new@example.com", True, True)
    ]
    to_old = [m for m in mailoutbox if m.to == ["alice@example.com"]]
    assert to_old, "the old address is told about the change"
    assert "alice.new@example.com" in to_old[-1].body or "changed" in to_old[-1].subject.lower()
    # The new address is the login now; the old one is not.
    fresh = Client()
    fresh.post("/accounts/login/", {"login": "alice.new@example.com", "password": PASSWORD})
    assert fresh.session.get("_auth_user_id") == str(alice.pk)
    old = Client()
    old.post("/accounts/login/", {"login": "alice@example.com", "password": PASSWORD})
    assert "_auth_user_id" not in old.session


def test_auth_07_verification_link_stops_working_after_another_email_change(alice, mailoutbox) -> None:
    client = Client()
    client.force_login(alice)
    reauthenticate(client)
    _request_email_change(client, "first@example.com")
    first_key = confirmation_key([m for m in mailoutbox if m.to == ["first@example.com"]][-1])
    _request_email_change(client, "second@example.com")

    assert_link_dead(client, first_key)

    assert not EmailAddress.objects.filter(email="first@example.com").exists()
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"
    assert EmailAddress.objects.get(email="second@example.com").verified is False


# --- password change and reset ----------------------------------------------------------


def test_password_change_page_is_linked_from_the_account_page_and_works(alice) -> None:
    client = Client()
    client.force_login(alice)
    page = client.get("/settings/account/")
    assert page.status_code == 200
    html = page.content.decode()
    for href in ("/accounts/password/change/", "/accounts/email/", "/accounts/2fa/", "/settings/account/delete/"):
        assert href in html
    assert alice.email in html

    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "a brand new passphrase", "password2": "a brand new passphrase"},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("a brand new passphrase")


def test_password_reset_by_email_link_sets_a_new_password(alice, mailoutbox) -> None:
    client = Client()
    assert client.post("/accounts/password/reset/", {"email": alice.email}).status_code == 302
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mailoutbox[-1].body).group(1)

    page = client.get(link)
    if page.status_code == 302:  # allauth moves the key into the session first
        link = page["Location"]
    response = client.post(link, {"password1": "reset to this passphrase", "password2": "reset to this passphrase"})

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("reset to this passphrase")


def test_signup_closed_when_signup_open_is_false(settings) -> None:
    settings.SIGNUP_OPEN = False
    client = Client()
    response = signup(client, "closed@example.com", PASSWORD)
    assert response.status_code in (200, 403)
    assert not User.objects.filter(email="closed@example.com").exists()


# --- account page and deletion ----------------------------------------------------------


def test_account_page_needs_login(client) -> None:
    assert client.get("/settings/account/")["Location"].startswith("/accounts/login/")
    assert client.post("/settings/account/delete/", {"password": PASSWORD})["Location"].startswith("/accounts/login/")


def test_account_delete_with_a_wrong_password_deletes_nothing(alice) -> None:
    client = Client()
    client.force_login(alice)
    response = client.post("/settings/account/delete/", {"password": "not the password"})
    assert response.status_code == 400
    assert "not your password" in response.content.decode()
    assert User.objects.filter(pk=alice.pk).exists()


def test_account_delete_get_is_not_allowed(alice) -> None:
    client = Client()
    client.force_login(alice)
    assert client.get("/settings/account/delete/").status_code == 405
