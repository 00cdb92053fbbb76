from __future__ import annotations

import pytest

from accounts.services import user_create

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
PASSWORD = "correct horse battery"


def test_unverified_email_gets_no_token_and_the_same_401(client, alice) -> None:
    user_create(email="unverified@example.com", password=PASSWORD)
    unverified = client.post(TOKEN, {"email": "unverified@example.com", "password": PASSWORD}, "application/json")
    unknown = client.post(TOKEN, {"email": "nobody@example.com", "password": PASSWORD}, "application/json")
    assert unverified.status_code == unknown.status_code == 401
    assert unverified.json() == unknown.json()


def test_verified_email_gets_a_token(client, alice) -> None:
    response = client.post(TOKEN, {"email": alice.email, "password": PASSWORD}, "application/json")
    assert response.status_code == 200
    assert {"access", "refresh"} <= set(response.json())


def test_jwt_03_password_change_ends_access_and_refresh_tokens(client, alice) -> None:
    pair = client.post(TOKEN, {"email": alice.email, "password": PASSWORD}, "application/json").json()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {pair['access']}"}
    assert client.get("/api/v1/monitors/", **bearer).status_code == 200

    alice.set_password("a completely new passphrase")
    alice.save()

    assert client.get("/api/v1/monitors/", **bearer).status_code == 401
    assert client.post(REFRESH, {"refresh": pair["refresh"]}, "application/json").status_code == 401
    assert (
        client.post(
            "/api/v1/monitors/", {"name": "x", "url": "https://example.com/"}, "application/json", **bearer
        ).status_code
        == 401
    )
    fresh = client.post(TOKEN, {"email": alice.email, "password": "a completely new passphrase"}, "application/json")
    listed = client.get("/api/v1/monitors/", HTTP_AUTHORIZATION=f"Bearer {fresh.json()['access']}")
    assert listed.json()["count"] == 0  # the refused POST created nothing
