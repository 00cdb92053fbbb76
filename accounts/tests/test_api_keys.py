"""KEY-01, KEY-03, KEY-04, KEY-05: key format and storage, revocation, forgeries, logs; roles and audit."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import string
import subprocess

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import ApiKey, AuditEvent, Membership
from accounts.services import api_key_authenticate, api_key_create
from accounts.services.api_keys import api_key_checksum, api_key_well_formed
from conftest import organization_of

pytestmark = pytest.mark.django_db

KEYS = "/api/v1/api-keys/"
MONITORS = "/api/v1/monitors/"
KEY_FORMAT = re.compile(r"^dw_(ro|rw)_([A-Za-z0-9]{32})([A-Z2-7]{6})$")


def issue(user, scope: str = "write"):  # noqa: ANN001, ANN201
    return api_key_create(organization=organization_of(user), created_by=user, name="ci", scope=scope)


def with_key(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key)
    return client


def forged_with_prefix(prefix: str) -> str:
    """A well-formed key (valid checksum) sharing `prefix` (scope + 8 characters) with a real one."""
    rest = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(24))
    random_part = prefix[6:14] + rest
    return prefix[:6] + random_part + api_key_checksum(random_part)


# --- KEY-01 -------------------------------------------------------------------------------------------


def test_key_01_format_scope_prefix_random_part_and_checksum(api_client_for, alice) -> None:
    body = api_client_for(alice).post(KEYS, {"name": "ci", "scope": "read"}, format="json").json()

    match = KEY_FORMAT.match(body["key"])
    assert match, body["key"]
    assert match.group(1) == "ro"
    assert len(match.group(2)) * 5.95 >= 128  # 32 base62 characters: 190 bits
    assert api_key_checksum(match.group(2)) == match.group(3)
    stored = ApiKey.objects.get(id=body["id"])
    assert stored.prefix == body["key"][:14] == body["prefix"]
    expected = hmac.new(django_settings.API_KEY_PEPPER.encode(), body["key"].encode(), hashlib.sha256).hexdigest()
    assert stored.hashed_key == expected


def test_key_01_a_typo_fails_the_checksum_before_any_query(alice) -> None:
    key = issue(alice).key
    typo = key[:20] + ("a" if key[20] != "a" else "b") + key[21:]
    assert not api_key_well_formed(typo)

    with CaptureQueriesContext(connection) as queries:
        assert api_key_authenticate(key=typo) is None
    assert queries.captured_queries == []


def test_key_01_plaintext_is_in_no_row_of_any_table(api_client_for, alice) -> None:
    client = api_client_for(alice)
    key = client.post(KEYS, {"name": "ci", "scope": "write"}, format="json").json()["key"]
    with_key(key).get(MONITORS)  # last_used_at written, audit rows, sessions...
    secret_part = key[14:]

    for model in apps.get_models():
        for row in model._default_manager.all().values_list():
            dumped = repr(row)
            assert secret_part not in dumped, f"{model._meta.label} holds the key"

    assert secret_part not in client.get(KEYS).content.decode()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_key_01_pg_dump_of_the_test_database_does_not_contain_the_key(api_client_for, alice) -> None:
    key = api_client_for(alice).post(KEYS, {"name": "ci", "scope": "write"}, format="json").json()["key"]
    assert with_key(key).get(MONITORS).status_code == 200
    params = connection.get_connection_params()
    dump = subprocess.run(  # noqa: S603 - the test DB's own pg_dump
        [
            "/usr/bin/pg_dump",
            "--data-only",
            "-h",
            params.get("host") or "127.0.0.1",
            "-p",
            str(params.get("port") or 5432),
            "-U",
            params["user"],
            params["dbname"],
        ],
        capture_output=True,
        text=True,
        env={"PGPASSWORD": params.get("password") or "", "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=True,
    ).stdout
    assert ApiKey.objects.get().prefix in dump  # the dump has the row...
    assert key[14:] not in dump  # ...but not the secret


# --- roles and audit -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "can_manage"), [("owner", True), ("admin", True), ("member", False), ("viewer", False)]
)
def test_api_keys_need_manage_api_keys_to_create_and_revoke_any_role_lists(
    api_client_for, alice, bob, role, can_manage
):
    Membership.objects.filter(user=bob).update(role=role)
    existing = issue(alice)
    client = api_client_for(bob)

    assert client.get(KEYS).status_code == 200
    created = client.post(KEYS, {"name": "bob ci", "scope": "read"}, format="json")
    revoked = client.delete(f"{KEYS}{existing.api_key.id}/")

    assert created.status_code == (201 if can_manage else 403)
    assert revoked.status_code == (204 if can_manage else 403)
    existing.api_key.refresh_from_db()
    assert (existing.api_key.revoked_at is not None) == can_manage
    assert ApiKey.objects.filter(name="bob ci").exists() == can_manage
    web = Client()
    web.force_login(bob)
    assert web.get("/settings/api-keys/").status_code == 200
    assert (web.post("/settings/api-keys/", {"name": "web", "scope": "read"}).status_code == 200) == can_manage


def test_api_key_create_and_revoke_are_audited_with_the_actor(api_client_for, alice) -> None:
    client = api_client_for(alice)
    body = client.post(KEYS, {"name": "deploy", "scope": "write"}, format="json", REMOTE_ADDR="10.1.1.1").json()
    client.delete(f"{KEYS}{body['id']}/", REMOTE_ADDR="10.1.1.2")
    client.delete(f"{KEYS}{body['id']}/")  # twice: one revocation, one row

    events = AuditEvent.objects.filter(organization=organization_of(alice), action__startswith="api_key.").order_by(
        "id"
    )
    assert [(e.action, e.actor, e.ip, e.target_id) for e in events] == [
        ("api_key.created", alice, "10.1.1.1", str(body["id"])),
        ("api_key.revoked", alice, "10.1.1.2", str(body["id"])),
    ]
    assert body["key"][14:] not in repr(list(events.values()))


def test_api_key_web_create_and_revoke_are_audited(alice) -> None:
    web = Client()
    web.force_login(alice)
    web.post("/settings/api-keys/", {"name": "web key", "scope": "read"})
    api_key = ApiKey.objects.get()
    web.post(f"/settings/api-keys/{api_key.id}/revoke/")

    actions = list(
        AuditEvent.objects.filter(action__startswith="api_key.").order_by("id").values_list("action", "actor")
    )
    assert actions == [("api_key.created", alice.id), ("api_key.revoked", alice.id)]


def test_api_key_of_a_creator_removed_from_the_organization_is_401(alice, bob) -> None:
    issued = issue(bob)  # bob's key for alice's organisation
    assert with_key(issued.key).get(MONITORS).status_code == 200

    Membership.objects.filter(user=bob).delete()

    assert with_key(issued.key).get(MONITORS).status_code == 401


@pytest.mark.parametrize("scope", ["read", "write"])
def test_api_key_cannot_manage_keys(alice, scope) -> None:
    client = with_key(issue(alice, scope).key)
    assert client.get(KEYS).status_code == 403
    assert client.post(KEYS, {"name": "child", "scope": "write"}, format="json").status_code == 403
    assert ApiKey.objects.count() == 1


# --- KEY-03 -----------------------------------------------------------------------------------------------


def test_key_03_revoked_key_is_401_on_the_very_next_request_and_stays_listed(api_client_for, alice) -> None:
    issued = issue(alice)
    client = with_key(issued.key)
    assert client.get(MONITORS).status_code == 200
    assert client.get(MONITORS).status_code == 200  # a warm path, if anything cached it

    assert api_client_for(alice).delete(f"{KEYS}{issued.api_key.id}/").status_code == 204

    assert client.get(MONITORS).status_code == 401
    (listed,) = api_client_for(alice).get(KEYS).json()["results"]
    assert listed["id"] == issued.api_key.id
    assert listed["revoked_at"] is not None


# --- KEY-04 -----------------------------------------------------------------------------------------------


def test_key_04_a_thousand_forged_keys_with_a_valid_prefix_all_get_the_same_401(alice, monkeypatch) -> None:
    issued = issue(alice)
    calls = []
    real = hmac.compare_digest

    def spy(a, b):  # noqa: ANN001, ANN202
        calls.append(1)
        return real(a, b)

    monkeypatch.setattr("accounts.services.api_keys.hmac.compare_digest", spy)
    client = APIClient()
    bodies = set()
    for _ in range(1000):
        response = client.get(MONITORS, HTTP_X_API_KEY=forged_with_prefix(issued.api_key.prefix))
        assert response.status_code == 401
        bodies.add(response.content)

    assert len(bodies) == 1
    assert len(calls) == 1000  # every forgery reached the constant-time comparison
    assert with_key(issued.key).get(MONITORS).status_code == 200


@pytest.mark.parametrize(
    "key",
    [
        "",
        " ",
        "dw_rw_",
        "dw_rw_" + "A" * 38,
        "dw_rw_" + "A" * 100_000,
        "dw_rw_\x00" + "A" * 37,
        "dw_rw_é" * 7,
        "%" * 44,
    ],
)
def test_key_04_malformed_or_over_long_keys_are_401_not_500(alice, key) -> None:
    assert APIClient().get(MONITORS, HTTP_X_API_KEY=key).status_code == 401


# --- KEY-05 -----------------------------------------------------------------------------------------------


def test_key_05_hundred_requests_write_last_used_at_once(alice) -> None:
    issued = issue(alice)
    client = with_key(issued.key)

    with CaptureQueriesContext(connection) as queries:
        for _ in range(100):
            assert client.get(MONITORS).status_code == 200

    updates = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    assert len([sql for sql in updates if "last_used_at" in sql]) == 1
    issued.api_key.refresh_from_db()
    assert issued.api_key.last_used_at is not None


def test_key_05_keys_and_auth_headers_are_in_no_log_record_nor_error_page(api_client_for, alice, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    client = api_client_for(alice)
    bearer = client._credentials["HTTP_AUTHORIZATION"].split()[1]
    created = client.post(KEYS, {"name": "ci", "scope": "read"}, format="json").json()
    key = created["key"]
    ok = with_key(key).get(MONITORS)
    denied = with_key(key).post(MONITORS, {"name": "x"}, format="json")  # read key: 403
    wrong = with_key(key[:-1] + ("A" if key[-1] != "A" else "B")).get(MONITORS)
    client.delete(f"{KEYS}{created['id']}/")
    revoked = with_key(key).get(MONITORS)

    assert (ok.status_code, denied.status_code, wrong.status_code, revoked.status_code) == (200, 403, 401, 401)
    logged = caplog.text + repr([r.__dict__ for r in caplog.records])
    assert key[14:] not in logged
    assert bearer not in logged
    for response in (denied, wrong, revoked):
        assert key[14:] not in response.content.decode()


def test_key_05_rotating_secret_key_leaves_keys_valid(alice, settings) -> None:
    issued = issue(alice)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "z" * 40

    assert with_key(issued.key).get(MONITORS).status_code == 200
