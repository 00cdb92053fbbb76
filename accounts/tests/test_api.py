"""/api/v1/auth/token/ (JWT) and /api/v1/api-keys/ (KEY-01..04, JWT-02/03/05, AUTH-03)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import ApiKey
from accounts.services import api_key_create
from conftest import organization_of

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"  # conftest.make_user's default
TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
KEYS = "/api/v1/api-keys/"
MONITORS = "/api/v1/monitors/"


def key_detail(api_key: ApiKey | int) -> str:
    return f"/api/v1/api-keys/{getattr(api_key, 'id', api_key)}/"


def with_key(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key)
    return client


def with_bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def issue(user: Any, scope: str = ApiKey.Scope.WRITE, **extra: Any):
    return api_key_create(organization=organization_of(user), created_by=user, name="ci", scope=scope, **extra)


# --- JWT ------------------------------------------------------------------------


def test_token_obtain_returns_a_working_pair(alice):
    response = APIClient().post(TOKEN, {"email": "alice@example.com", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    assert with_bearer(response.json()["access"]).get(MONITORS).status_code == 200


def test_token_obtain_email_is_case_insensitive(alice):
    response = APIClient().post(TOKEN, {"email": "Alice@Example.COM", "password": PASSWORD}, format="json")
    assert response.status_code == 200


def test_auth_03_token_obtain_wrong_credentials_get_the_same_401(alice):
    inactive = alice.__class__.objects.create_user(email="gone@example.com", password=PASSWORD, is_active=False)
    attempts = [
        {"email": "alice@example.com", "password": "wrong password"},
        {"email": "nobody@example.com", "password": PASSWORD},
        {"email": inactive.email, "password": PASSWORD},
    ]
    responses = [APIClient().post(TOKEN, attempt, format="json") for attempt in attempts]
    assert {r.status_code for r in responses} == {401}
    assert len({r.content for r in responses}) == 1


@pytest.mark.parametrize(
    "body", [{}, {"email": "alice@example.com"}, {"email": None, "password": None}, {"email": ["a"], "password": 1}]
)
def test_token_obtain_bad_input_gets_400(alice, body):
    assert APIClient().post(TOKEN, body, format="json").status_code == 400


def test_token_obtain_ignores_a_bad_authorization_header(alice):
    client = with_bearer("not-a-jwt")
    response = client.post(TOKEN, {"email": "alice@example.com", "password": PASSWORD}, format="json")
    assert response.status_code == 200


def test_jwt_02_token_refresh_rotates_and_the_old_refresh_token_is_spent(alice):
    pair = APIClient().post(TOKEN, {"email": "alice@example.com", "password": PASSWORD}, format="json").json()

    refreshed = APIClient().post(REFRESH, {"refresh": pair["refresh"]}, format="json")

    assert refreshed.status_code == 200
    assert set(refreshed.json()) == {"access", "refresh"}
    assert refreshed.json()["refresh"] != pair["refresh"]
    assert with_bearer(refreshed.json()["access"]).get(MONITORS).status_code == 200
    reused = APIClient().post(REFRESH, {"refresh": pair["refresh"]}, format="json")
    assert reused.status_code == 401
    again = APIClient().post(REFRESH, {"refresh": refreshed.json()["refresh"]}, format="json")
    assert again.status_code == 200


@pytest.mark.parametrize("refresh", ["", "garbage", "a.b.c", "x" * 10_000])
def test_token_refresh_bad_token_gets_400_or_401(refresh):
    assert APIClient().post(REFRESH, {"refresh": refresh}, format="json").status_code in (400, 401)


def test_token_refresh_with_an_access_token_gets_401(alice):
    access = str(RefreshToken.for_user(alice).access_token)
    assert APIClient().post(REFRESH, {"refresh": access}, format="json").status_code == 401


def test_jwt_03_token_refresh_of_a_deactivated_user_gets_401(alice):
    refresh = str(RefreshToken.for_user(alice))
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert APIClient().post(REFRESH, {"refresh": refresh}, format="json").status_code == 401


def test_jwt_03_token_refresh_of_a_deleted_user_gets_401_not_500(alice):
    refresh = str(RefreshToken.for_user(alice))
    alice.delete()
    assert APIClient().post(REFRESH, {"refresh": refresh}, format="json").status_code == 401


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_jwt_05_concurrent_refreshes_yield_at_most_one_pair(alice):
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections (PostgreSQL)")
    refresh = str(RefreshToken.for_user(alice))
    statuses: list[int] = []
    barrier = threading.Barrier(4)

    def call() -> None:
        barrier.wait()
        statuses.append(APIClient().post(REFRESH, {"refresh": refresh}, format="json").status_code)
        connection.close()

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 401, 401, 401]


# --- API keys: create and list (KEY-01) ---------------------------------------------


def test_key_01_api_key_create_shows_the_key_once_and_stores_only_its_hash(api_client_for, alice):
    response = api_client_for(alice).post(KEYS, {"name": "deploy bot", "scope": "write"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id",
        "name",
        "scope",
        "prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "key",
    }
    key = body["key"]
    assert key.startswith("dw_rw_")
    assert body["prefix"] == key[: len(body["prefix"])]
    stored = ApiKey.objects.get(id=body["id"])
    assert stored.organization == organization_of(alice)
    assert stored.created_by == alice
    assert (stored.name, stored.scope) == ("deploy bot", "write")
    row = ApiKey.objects.filter(id=stored.id).values().get()
    assert all(key not in str(value) for value in row.values())
    assert stored.hashed_key != key

    listed = api_client_for(alice).get(KEYS)
    assert listed.status_code == 200
    assert key not in listed.content.decode()
    assert stored.hashed_key not in listed.content.decode()
    assert "key" not in listed.json()["results"][0]
    assert "hashed_key" not in listed.json()["results"][0]
    assert with_key(key).get(MONITORS).status_code == 200


def test_api_key_create_read_scope_gets_a_read_prefix(api_client_for, alice):
    body = api_client_for(alice).post(KEYS, {"name": "dashboard", "scope": "read"}, format="json").json()
    assert body["key"].startswith("dw_ro_")
    assert body["scope"] == "read"


def test_api_key_create_with_expiry(api_client_for, alice):
    expires = timezone.now() + timedelta(days=30)
    response = api_client_for(alice).post(
        KEYS, {"name": "temp", "scope": "read", "expires_at": expires.isoformat()}, format="json"
    )
    assert response.status_code == 201
    assert ApiKey.objects.get().expires_at == expires


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scope": "write"}, "name"),
        ({"name": "", "scope": "write"}, "name"),
        ({"name": "n" * 101, "scope": "write"}, "name"),
        ({"name": "x"}, "scope"),
        ({"name": "x", "scope": "admin"}, "scope"),
        ({"name": "x", "scope": None}, "scope"),
        ({"name": "x", "scope": "read", "expires_at": "soon"}, "expires_at"),
        ({"name": "x", "scope": "read", "expires_at": "2000-01-01T00:00:00Z"}, "expires_at"),
    ],
)
def test_api_key_create_bad_input_gets_400(api_client_for, alice, body, field):
    response = api_client_for(alice).post(KEYS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not ApiKey.objects.exists()


def test_api_key_list_member_sees_organization_keys(api_client_for, alice, bob):
    issued = issue(alice)
    response = api_client_for(bob).get(KEYS)
    assert response.status_code == 200
    assert [k["id"] for k in response.json()["results"]] == [issued.api_key.id]


def test_api_key_list_other_organization_sees_none(api_client_for, alice, mallory):
    issue(alice)
    assert api_client_for(mallory).get(KEYS).json()["count"] == 0


def test_key_03_api_key_list_keeps_revoked_keys_for_audit(api_client_for, alice):
    issued = issue(alice)
    api_client_for(alice).delete(key_detail(issued.api_key))
    (listed,) = api_client_for(alice).get(KEYS).json()["results"]
    assert listed["revoked_at"] is not None


def test_api_key_list_session_login_works(alice):
    issue(alice)
    client = APIClient()
    client.force_login(alice)
    assert client.get(KEYS).json()["count"] == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_api_key_endpoints_anonymous_get_401(method):
    assert getattr(APIClient(), method)(KEYS, {"name": "x", "scope": "write"}, format="json").status_code == 401


@pytest.mark.parametrize("scope", [ApiKey.Scope.READ, ApiKey.Scope.WRITE])
def test_api_key_cannot_list_mint_or_revoke_keys(alice, scope):
    issued = issue(alice, scope=scope)
    client = with_key(issued.key)
    assert client.get(KEYS).status_code == 403
    assert client.post(KEYS, {"name": "child", "scope": "write"}, format="json").status_code == 403
    assert client.delete(key_detail(issued.api_key)).status_code == 403
    assert ApiKey.objects.count() == 1
    issued.api_key.refresh_from_db()
    assert issued.api_key.revoked_at is None


# --- API keys: revoke, expiry, malformed (KEY-03, KEY-04) ----------------------------


def test_key_03_api_key_revoke_takes_effect_on_the_very_next_request(api_client_for, alice):
    issued = issue(alice)
    client = with_key(issued.key)
    assert client.get(MONITORS).status_code == 200

    assert api_client_for(alice).delete(key_detail(issued.api_key)).status_code == 204

    issued.api_key.refresh_from_db()
    assert issued.api_key.revoked_at is not None
    assert client.get(MONITORS).status_code == 401


def test_api_key_revoke_by_member_403(api_client_for, alice, bob):
    issued = issue(alice)
    assert api_client_for(bob).delete(key_detail(issued.api_key)).status_code == 403
    issued.api_key.refresh_from_db()
    assert issued.api_key.revoked_at is None


def test_api_key_create_by_member_403(api_client_for, alice, bob):
    assert api_client_for(bob).post(KEYS, {"name": "x", "scope": "read"}, format="json").status_code == 403
    assert not ApiKey.objects.exists()


def test_api_key_revoke_other_organization_gets_404_and_key_keeps_working(api_client_for, alice, mallory):
    issued = issue(alice)
    assert api_client_for(mallory).delete(key_detail(issued.api_key)).status_code == 404
    issued.api_key.refresh_from_db()
    assert issued.api_key.revoked_at is None
    assert with_key(issued.key).get(MONITORS).status_code == 200


def test_api_key_revoke_missing_gets_404(api_client_for, alice):
    assert api_client_for(alice).delete(key_detail(999_999)).status_code == 404


def test_api_key_revoke_twice_keeps_the_first_time(api_client_for, alice):
    issued = issue(alice)
    client = api_client_for(alice)
    assert client.delete(key_detail(issued.api_key)).status_code == 204
    issued.api_key.refresh_from_db()
    first = issued.api_key.revoked_at
    assert client.delete(key_detail(issued.api_key)).status_code == 204
    issued.api_key.refresh_from_db()
    assert issued.api_key.revoked_at == first


def test_key_03_api_key_expired_gets_401(alice):
    issued = issue(alice, expires_at=timezone.now() + timedelta(hours=1))
    assert with_key(issued.key).get(MONITORS).status_code == 200
    ApiKey.objects.filter(id=issued.api_key.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert with_key(issued.key).get(MONITORS).status_code == 401


def test_auth_06_api_key_of_a_deactivated_creator_gets_401(alice):
    issued = issue(alice)
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert with_key(issued.key).get(MONITORS).status_code == 401


@pytest.mark.parametrize(
    "key",
    [
        "",
        "garbage",
        "dw_rw_",
        "dw_rw_AAAAAAAA",
        "dw_ro_" + "A" * 43,
        "dw_rw_" + "A" * 10_000,
        "x" * 100_000,
        "dw_rw_\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9",
        "dw_rw_\x00" + "A" * 43,
    ],
)
def test_key_04_api_key_malformed_or_wrong_gets_401_not_500(alice, key):
    issue(alice)
    response = APIClient().get(MONITORS, HTTP_X_API_KEY=key)
    assert response.status_code == 401


def test_key_04_api_key_valid_prefix_wrong_secret_gets_the_same_401(alice):
    issued = issue(alice)
    forged = issued.key[:-4] + ("AAAA" if not issued.key.endswith("AAAA") else "BBBB")
    wrong = APIClient().get(MONITORS, HTTP_X_API_KEY=forged)
    unknown = APIClient().get(MONITORS, HTTP_X_API_KEY="dw_rw_" + "Z" * 43)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.content == unknown.content
