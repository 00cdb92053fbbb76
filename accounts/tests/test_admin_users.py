"""Operators deactivate users from the admin: no more login, sessions or tokens."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import AuditEvent, User
from accounts.services import Actor, user_deactivate
from conftest import organization_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(db) -> Client:
    root = User.objects.create_superuser(email="root@example.com", password="correct horse battery")
    client = Client()
    client.force_login(root)
    return client


def test_admin_deactivate_action_ends_sessions_and_blacklists_refresh_tokens(operator, alice, bob) -> None:
    bob_browser = Client()
    bob_browser.force_login(bob)
    assert bob_browser.get("/").status_code == 200
    refresh = RefreshToken.for_user(bob)
    access = str(refresh.access_token)
    assert OutstandingToken.objects.filter(user=bob).count() == 1

    response = operator.post(
        "/admin/accounts/user/",
        {"action": "deactivate", "_selected_action": [bob.pk], "index": 0},
    )
    assert response.status_code == 302

    bob.refresh_from_db()
    assert bob.is_active is False
    assert BlacklistedToken.objects.filter(token__user=bob).count() == 1
    assert not [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(bob.pk)]
    # The browser session now lands on the login page; the JWTs are refused.
    assert bob_browser.get("/")["Location"].startswith("/accounts/login/")
    api = APIClient()
    assert api.post("/api/v1/auth/token/refresh/", {"refresh": str(refresh)}, format="json").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert api.get("/api/v1/monitors/").status_code == 401
    # Alice was not selected: untouched. The change is in bob's organisation's audit log.
    alice.refresh_from_db()
    assert alice.is_active is True
    assert AuditEvent.objects.filter(organization=organization_of(alice), action="user.deactivated").count() == 1


def test_admin_deactivate_action_skips_the_operator_themself(operator) -> None:
    root = User.objects.get(email="root@example.com")
    operator.post("/admin/accounts/user/", {"action": "deactivate", "_selected_action": [root.pk], "index": 0})
    root.refresh_from_db()
    assert root.is_active is True


def test_user_deactivate_service_is_idempotent_for_tokens(alice) -> None:
    RefreshToken.for_user(alice)
    RefreshToken.for_user(alice)
    user_deactivate(user=alice, actor=Actor(user=None))
    user_deactivate(user=alice, actor=Actor(user=None))

    assert BlacklistedToken.objects.filter(token__user=alice).count() == 2
    alice.refresh_from_db()
    assert alice.is_active is False


def test_deactivated_user_cannot_log_in(alice) -> None:
    user_deactivate(user=alice, actor=Actor(user=None))
    client = Client()
    client.post("/accounts/login/", {"login": alice.email, "password": "correct horse battery"})
    assert "_auth_user_id" not in client.session
