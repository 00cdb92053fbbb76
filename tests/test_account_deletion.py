"""Account deletion through HTTP (hand-over, cascade, revoked keys, audit; DATA-04's soft deletion
with a signed confirmation is in tests/test_data_04_account_soft_deletion.py) and AUTH-07's
"an unverified account cannot create monitors or channels": they touch monitors, checks and
alerts, so they live here rather than in accounts/tests (imports point down only)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import ApiKey, AuditEvent, Membership, Organization, User
from accounts.services import api_key_create
from accounts.services.account_deletion import deleted_accounts_purge
from alerts.models import Channel
from checks.models import CheckResult
from conftest import make_user, organization_of
from monitors.models import Monitor
from monitors.services import monitor_create

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
LINK = re.compile(r"https?://\S+/account-deletion/(confirm|restore)/(\S+)/")


def deletion_links(mailoutbox, email: str) -> dict[str, str]:
    """The confirm and restore paths of the last deletion email to `email`."""
    message = [m for m in mailoutbox if m.to == [email]][-1]
    return {kind: f"/account-deletion/{kind}/{token}/" for kind, token in LINK.findall(message.body)}


def delete_for_good(client: Client, user: User, mailoutbox) -> None:
    """Ask to delete the account, confirm through the emailed link, and let the grace period pass."""
    assert client.post("/settings/account/delete/", {"password": PASSWORD}).status_code == 302
    assert Client().post(deletion_links(mailoutbox, user.email)["confirm"]).status_code == 200
    deleted_accounts_purge(now=timezone.now() + timedelta(days=settings.ACCOUNTS_DELETION_GRACE_DAYS, minutes=1))


def signup(client: Client, email: str, password: str):  # noqa: ANN201 - a test response
    return client.post("/accounts/signup/", {"email": email, "password1": password, "password2": password})


def test_auth_07_unverified_account_cannot_log_in_get_a_jwt_or_create_monitors_or_channels(mailoutbox) -> None:
    client = Client()
    assert signup(client, "unverified@example.com", PASSWORD).status_code == 302
    user = User.objects.get(email="unverified@example.com")
    assert not EmailAddress.objects.filter(user=user, verified=True).exists()

    client = Client()
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert client.get("/monitors/new/").status_code == 302

    api = APIClient()
    token = api.post("/api/v1/auth/token/", {"email": user.email, "password": PASSWORD}, format="json")
    assert token.status_code == 401
    monitor = {"name": "x", "url": "https://api.example.com/"}
    assert api.post("/api/v1/monitors/", monitor, format="json").status_code == 401
    channel = {"name": "hook", "kind": "webhook", "target": "https://hooks.example.com/x"}
    assert api.post("/api/v1/channels/", channel, format="json").status_code == 401
    assert not Monitor.objects.filter(organization__memberships__user=user).exists()
    assert not Channel.objects.filter(organization__memberships__user=user, kind="webhook").exists()


def _join(user: User, organization: Organization, role: str, days_ago: int) -> Membership:
    return Membership.objects.create(
        user=user, organization=organization, role=role, created_at=timezone.now() - timezone.timedelta(days=days_ago)
    )


def test_account_delete_hands_sole_ownership_to_the_longest_standing_admin(alice, bob, mailoutbox) -> None:
    organization = organization_of(alice)
    Membership.objects.filter(user=bob).update(created_at=timezone.now() - timezone.timedelta(days=30))
    newer_admin = make_user(email="newadmin@example.com")
    older_admin = make_user(email="oldadmin@example.com")
    _join(newer_admin, organization, Membership.Role.ADMIN, days_ago=2)
    _join(older_admin, organization, Membership.Role.ADMIN, days_ago=10)
    key = api_key_create(organization=organization, created_by=alice, name="deploy", scope="write").api_key
    bobs_key = api_key_create(organization=organization, created_by=bob, name="bob's", scope="read").api_key
    monitor = monitor_create(organization=organization, name="Orders", url="https://api.example.com/orders")
    client = Client()
    client.force_login(alice)
    jwt = APIClient()
    jwt.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(alice).access_token}")

    response = client.post("/settings/account/delete/", {"password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    # The session and the JWT of the leaving user end at once.
    assert client.get("/")["Location"].startswith("/accounts/login/")
    assert jwt.get("/api/v1/monitors/").status_code == 401
    assert Client().post(deletion_links(mailoutbox, alice.email)["confirm"]).status_code == 200
    deleted_accounts_purge(now=timezone.now() + timedelta(days=settings.ACCOUNTS_DELETION_GRACE_DAYS, minutes=1))
    assert not User.objects.filter(email="alice@example.com").exists()
    assert Organization.objects.filter(pk=organization.pk).exists()
    assert Monitor.objects.filter(pk=monitor.pk).exists()
    roles = dict(Membership.objects.filter(organization=organization).values_list("user__email", "role"))
    assert roles == {"bob@example.com": "member", "newadmin@example.com": "admin", "oldadmin@example.com": "owner"}
    key.refresh_from_db()
    bobs_key.refresh_from_db()
    assert key.revoked_at is not None
    assert bobs_key.revoked_at is None
    actions = set(AuditEvent.objects.filter(organization=organization).values_list("action", flat=True))
    assert {"organization.ownership_transferred", "api_key.revoked", "user.deleted"} <= actions
    transfer = AuditEvent.objects.get(organization=organization, action="organization.ownership_transferred")
    assert transfer.data["to"] == "oldadmin@example.com"
    assert transfer.actor_email == "alice@example.com"  # kept after the user is gone


def test_account_delete_without_admins_hands_ownership_to_the_longest_standing_member(alice, bob, mailoutbox) -> None:
    organization = organization_of(alice)
    Membership.objects.filter(user=bob).update(created_at=timezone.now() - timezone.timedelta(days=1))
    older = make_user(email="older@example.com")
    _join(older, organization, Membership.Role.VIEWER, days_ago=20)
    client = Client()
    client.force_login(alice)

    delete_for_good(client, alice, mailoutbox)

    assert Membership.objects.get(organization=organization, user=older).role == Membership.Role.OWNER
    assert Membership.objects.get(organization=organization, user=bob).role == Membership.Role.MEMBER


def test_account_delete_removes_an_organisation_with_no_other_member_and_everything_in_it(mallory, mailoutbox) -> None:
    organization = organization_of(mallory)
    monitor = monitor_create(organization=organization, name="Orders", url="https://api.example.com/orders")
    now = timezone.now()
    CheckResult.objects.create(monitor=monitor, due_at=now, started_at=now, ok=True)
    assert Channel.objects.filter(organization=organization).exists()
    api_key_create(organization=organization, created_by=mallory, name="ci", scope="read")
    client = Client()
    client.force_login(mallory)

    delete_for_good(client, mallory, mailoutbox)

    assert not Organization.objects.filter(pk=organization.pk).exists()
    assert not Monitor.objects.filter(pk=monitor.pk).exists()
    assert not CheckResult.objects.filter(monitor_id=monitor.pk).exists()
    assert not Channel.objects.filter(organization_id=organization.pk).exists()
    assert not ApiKey.objects.filter(organization_id=organization.pk).exists()


def test_account_delete_of_a_co_owner_or_member_keeps_the_organisation_as_it_is(alice, bob, mailoutbox) -> None:
    organization = organization_of(alice)
    client = Client()
    client.force_login(bob)

    delete_for_good(client, bob, mailoutbox)

    assert not User.objects.filter(email="bob@example.com").exists()
    assert dict(Membership.objects.filter(organization=organization).values_list("user__email", "role")) == {
        "alice@example.com": "owner"
    }
    event = AuditEvent.objects.get(organization=organization, action="user.deleted")
    assert event.data == {"email": "bob@example.com", "role": "member"}
    assert not AuditEvent.objects.filter(action="organization.ownership_transferred").exists()
