"""The /settings/api-keys/ page: list, create (plaintext shown once), revoke, tenancy."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiKey, Membership, User
from accounts.services import api_key_authenticate, api_key_create
from conftest import organization_of

pytestmark = pytest.mark.django_db

LIST_URL = "/settings/api-keys/"
KEY_PATTERN = re.compile(r"dw_r[ow]_[A-Za-z0-9_-]{20,}")


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def make_key(user: User, *, name: str = "deploy", scope: str = "write") -> ApiKey:
    return api_key_create(organization=organization_of(user), created_by=user, name=name, scope=scope).api_key


def revoke_url(api_key: ApiKey) -> str:
    return reverse("accounts:api-key-revoke", kwargs={"pk": api_key.id})


def test_url_names_resolve_to_the_documented_paths() -> None:
    assert reverse("accounts:api-key-list") == LIST_URL
    assert reverse("accounts:api-key-revoke", kwargs={"pk": 7}) == "/settings/api-keys/7/revoke/"


def test_api_key_list_anonymous_redirects_to_login(client) -> None:
    response = client.get(LIST_URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/settings/api-keys/")


def test_api_key_create_anonymous_redirects_and_creates_nothing(client) -> None:
    response = client.post(LIST_URL, {"name": "x", "scope": "read"})

    assert response.status_code == 302
    assert ApiKey.objects.count() == 0


def test_api_key_list_shows_only_own_organization_keys(alice, mallory) -> None:
    mine = make_key(alice, name="alice ci")
    theirs = make_key(mallory, name="mallory ci")

    response = client_for(alice).get(LIST_URL)

    assert response.status_code == 200
    body = response.content.decode()
    assert "alice ci" in body
    assert mine.prefix in body
    assert "mallory ci" not in body
    assert theirs.prefix not in body
    assert "alice@example.com" in body  # created by


def test_api_key_list_member_sees_the_organization_keys(alice, bob) -> None:
    make_key(alice, name="alice ci")

    response = client_for(bob).get(LIST_URL)

    assert response.status_code == 200
    assert "alice ci" in response.content.decode()


def test_api_key_list_queries_do_not_grow(alice, django_assert_max_num_queries) -> None:
    for number in range(10):
        make_key(alice, name=f"key {number}")
    client = client_for(alice)

    with django_assert_max_num_queries(8):
        response = client.get(LIST_URL)
    assert response.content.decode().count("key ") >= 10


def test_api_key_create_shows_the_key_once_and_it_authenticates(alice) -> None:
    client = client_for(alice)

    response = client.post(LIST_URL, {"name": "deploy script", "scope": "write", "expires_on": ""})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    (key,) = set(KEY_PATTERN.findall(response.content.decode()))
    assert key.startswith("dw_rw_")
    api_key = ApiKey.objects.get()
    assert (api_key.name, api_key.scope, api_key.created_by, api_key.expires_at) == (
        "deploy script",
        "write",
        alice,
        None,
    )
    assert api_key.organization == organization_of(alice)
    assert api_key_authenticate(key=key) == api_key
    # The plaintext lives only in that response: not in the session, not on the next page.
    assert key not in str(dict(client.session))
    second = client.get(LIST_URL)
    assert key not in second.content.decode()
    assert api_key.prefix in second.content.decode()


def test_api_key_create_read_scope_with_expiry(alice) -> None:
    day = (timezone.now() + timedelta(days=30)).date()

    response = client_for(alice).post(LIST_URL, {"name": "grafana", "scope": "read", "expires_on": day.isoformat()})

    assert response.status_code == 200
    (key,) = set(KEY_PATTERN.findall(response.content.decode()))
    assert key.startswith("dw_ro_")
    api_key = ApiKey.objects.get()
    assert api_key.scope == ApiKey.Scope.READ
    assert api_key.expires_at == datetime(day.year, day.month, day.day, tzinfo=UTC)
    assert api_key_authenticate(key=key) == api_key


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "scope": "read"}, "name", "This field is required."),
        ({"name": "x" * 101, "scope": "read"}, "name", "at most 100 characters"),
        ({"name": "ci", "scope": "admin"}, "scope", "Select a valid choice."),
        ({"name": "ci", "scope": "read", "expires_on": "2001-01-01"}, "expires_on", "Choose a day after today."),
        ({"name": "ci", "scope": "read", "expires_on": "someday"}, "expires_on", "Enter a valid date."),
    ],
)
def test_api_key_create_invalid_shows_errors_and_creates_nothing(alice, data, field, message) -> None:
    response = client_for(alice).post(LIST_URL, data)

    assert response.status_code == 200
    assert ApiKey.objects.count() == 0
    form = response.context["form"]
    assert any(message in error for error in form.errors[field])
    body = response.content.decode()
    assert f'id="id_{field}_error"' in body  # rendered next to its field
    assert message.replace("'", "&#x27;") in body
    assert not KEY_PATTERN.search(body)


def test_api_key_create_invalid_keeps_typed_values(alice) -> None:
    response = client_for(alice).post(LIST_URL, {"name": "my deploy key", "scope": "write", "expires_on": "2001-01-01"})

    body = response.content.decode()
    assert 'value="my deploy key"' in body
    assert 'value="2001-01-01"' in body
    assert re.search(r'value="write"[^>]*checked', body)


def test_api_key_create_viewer_403(alice, bob) -> None:
    Membership.objects.filter(user=bob).update(role=Membership.Role.VIEWER)

    response = client_for(bob).post(LIST_URL, {"name": "ci", "scope": "write"})

    assert response.status_code == 403
    assert ApiKey.objects.count() == 0


def test_api_key_create_without_csrf_token_403(alice) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(LIST_URL, {"name": "ci", "scope": "write"})

    assert response.status_code == 403
    assert ApiKey.objects.count() == 0


def test_api_key_revoke_by_owner(alice) -> None:
    issued = api_key_create(organization=organization_of(alice), created_by=alice, name="ci", scope="write")
    client = client_for(alice)

    response = client.post(revoke_url(issued.api_key))

    assert response.status_code == 302
    assert response["Location"] == LIST_URL
    issued.api_key.refresh_from_db()
    assert issued.api_key.revoked_at is not None
    assert api_key_authenticate(key=issued.key) is None
    page = client.get(LIST_URL).content.decode()
    assert "revoked" in page
    assert revoke_url(issued.api_key) not in page  # no revoke button on a revoked key


def test_api_key_revoke_by_member_403(alice, bob) -> None:
    api_key = make_key(alice)

    response = client_for(bob).post(revoke_url(api_key))

    assert response.status_code == 403
    api_key.refresh_from_db()
    assert api_key.revoked_at is None


def test_api_key_create_by_member_403_and_no_form(alice, bob) -> None:
    make_key(alice, name="alice ci")
    client = client_for(bob)

    assert client.post(LIST_URL, {"name": "ci", "scope": "write"}).status_code == 403
    page = client.get(LIST_URL).content.decode()
    assert "alice ci" in page
    assert "Create a key" not in page
    assert "/revoke/" not in page
    assert ApiKey.objects.count() == 1


def test_api_key_revoke_twice_keeps_first_timestamp(alice) -> None:
    api_key = make_key(alice)
    client = client_for(alice)
    client.post(revoke_url(api_key))
    api_key.refresh_from_db()
    first = api_key.revoked_at

    assert client.post(revoke_url(api_key)).status_code == 302
    api_key.refresh_from_db()
    assert api_key.revoked_at == first


def test_ten_01_api_key_revoke_other_org_404(alice, mallory) -> None:
    issued = api_key_create(organization=organization_of(alice), created_by=alice, name="ci", scope="write")
    before = model_to_dict(ApiKey.objects.get(id=issued.api_key.id))

    response = client_for(mallory).post(revoke_url(issued.api_key))

    assert response.status_code == 404
    assert model_to_dict(ApiKey.objects.get(id=issued.api_key.id)) == before
    assert api_key_authenticate(key=issued.key) is not None


def test_api_key_revoke_unknown_id_404(alice) -> None:
    assert client_for(alice).post("/settings/api-keys/999999/revoke/").status_code == 404


def test_api_key_revoke_viewer_403(alice, bob) -> None:
    api_key = make_key(alice)
    Membership.objects.filter(user=bob).update(role=Membership.Role.VIEWER)

    response = client_for(bob).post(revoke_url(api_key))

    assert response.status_code == 403
    api_key.refresh_from_db()
    assert api_key.revoked_at is None


def test_api_key_revoke_get_not_allowed(alice) -> None:
    api_key = make_key(alice)

    response = client_for(alice).get(revoke_url(api_key))

    assert response.status_code == 405
    api_key.refresh_from_db()
    assert api_key.revoked_at is None


def test_api_key_revoke_anonymous_redirects_to_login(client, alice) -> None:
    api_key = make_key(alice)

    response = client.post(revoke_url(api_key))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    api_key.refresh_from_db()
    assert api_key.revoked_at is None
