"""AUTH-06 (sessions) and the rest of JWT-03: fixation, password change/reset, deactivation, deletion."""

from __future__ import annotations

import re

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.base import SessionBase
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.services import api_key_create
from conftest import organization_of

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase 42"
LOGIN = "/accounts/login/"
PAGE = "/settings/api-keys/"
TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
MONITORS = "/api/v1/monitors/"


def logged_in(email: str = "alice@example.com", password: str = PASSWORD) -> Client:
    client = Client()
    assert client.post(LOGIN, {"login": email, "password": password}).status_code == 302
    return client


def signed_in(client: Client) -> bool:
    return client.get(PAGE).status_code == 200


def token_pair(password: str = PASSWORD) -> dict[str, str]:
    response = APIClient().post(TOKEN, {"email": "alice@example.com", "password": password}, format="json")
    assert response.status_code == 200
    return response.json()


def bearer(access: str):  # noqa: ANN201
    return APIClient().get(MONITORS, HTTP_AUTHORIZATION=f"Bearer {access}")


def session_store(key: str) -> SessionBase:
    from importlib import import_module  # noqa: PLC0415

    return import_module(django_settings.SESSION_ENGINE).SessionStore(session_key=key)


def test_auth_06_session_id_changes_at_login_and_a_fixed_id_stays_anonymous(alice) -> None:
    attacker = Client()
    attacker.get(LOGIN)
    session = attacker.session
    session["planted"] = True
    session.save()
    fixed = session.session_key

    victim = Client()
    victim.cookies[django_settings.SESSION_COOKIE_NAME] = fixed
    response = victim.post(LOGIN, {"login": alice.email, "password": PASSWORD})

    assert response.status_code == 302
    assert victim.cookies[django_settings.SESSION_COOKIE_NAME].value != fixed
    assert not session_store(fixed).exists(fixed)
    assert signed_in(victim)
    assert not signed_in(attacker)  # the planted id did not become a logged-in session


def test_auth_06_password_change_ends_other_sessions_and_every_refresh_token(alice) -> None:
    here, elsewhere = logged_in(), logged_in()
    pairs = [token_pair(), token_pair()]

    response = here.post(
        "/accounts/password/change/", {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert signed_in(here)  # the session that changed it stays in
    assert not signed_in(elsewhere)
    outstanding = OutstandingToken.objects.filter(user=alice)
    assert outstanding.count() == 2
    assert all(hasattr(token, "blacklistedtoken") for token in outstanding)
    for pair in pairs:
        assert APIClient().post(REFRESH, {"refresh": pair["refresh"]}, format="json").status_code == 401
        assert bearer(pair["access"]).status_code == 401  # JWT-03
    assert bearer(token_pair(NEW_PASSWORD)["access"]).status_code == 200


def test_auth_06_password_reset_ends_every_session_and_refresh_token(client, alice) -> None:
    elsewhere = logged_in()
    pair = token_pair()

    assert client.post("/accounts/password/reset/", {"email": alice.email}).status_code == 302
    (message,) = mail.outbox
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", message.body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    set_password_url = form.redirect_chain[-1][0] if form.redirect_chain else link
    response = client.post(set_password_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert not signed_in(elsewhere)
    assert OutstandingToken.objects.get(user=alice).blacklistedtoken is not None
    assert APIClient().post(REFRESH, {"refresh": pair["refresh"]}, format="json").status_code == 401
    assert bearer(pair["access"]).status_code == 401


def test_auth_06_deactivated_user_is_out_on_the_next_request_with_session_jwt_or_key(alice) -> None:
    session = logged_in()
    pair = token_pair()
    key = api_key_create(organization=organization_of(alice), created_by=alice, name="ci", scope="read").key
    assert signed_in(session)
    assert bearer(pair["access"]).status_code == 200
    assert APIClient().get(MONITORS, HTTP_X_API_KEY=key).status_code == 200

    alice.is_active = False
    alice.save(update_fields=["is_active"])

    response = session.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert bearer(pair["access"]).status_code == 401  # JWT-03
    assert APIClient().post(REFRESH, {"refresh": pair["refresh"]}, format="json").status_code == 401
    assert APIClient().get(MONITORS, HTTP_X_API_KEY=key).status_code == 401
    assert APIClient().post(TOKEN, {"email": alice.email, "password": PASSWORD}, format="json").status_code == 401


def test_jwt_03_deleted_user_tokens_are_401(alice) -> None:
    pair = token_pair()
    alice.delete()

    assert bearer(pair["access"]).status_code == 401
    assert APIClient().post(REFRESH, {"refresh": pair["refresh"]}, format="json").status_code == 401
