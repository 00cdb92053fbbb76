"""Invitations: emailed, expiring, single-use links; accept with the invited verified address only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.utils import timezone

from accounts.models import AuditEvent, Invitation, Membership, User
from accounts.tests.org_helpers import (
    TEST_IP,
    api_as,
    assert_audited,
    invitation_link,
    link_path,
    member_of,
    membership,
    web,
)
from conftest import make_user, organization_of

pytestmark = pytest.mark.django_db

MEMBERS = "/settings/members/"
Role = Membership.Role


@pytest.fixture
def org(alice):
    return organization_of(alice)


@pytest.fixture
def carol(db) -> User:
    return make_user(email="carol@example.com", organization_name="Carol's own")


def invite(user: User, email: str = "carol@example.com", role: str = "member") -> str:
    """Invite through the web page; the path of the emailed link."""
    response = web(user).post(MEMBERS, {"email": email, "role": role})
    assert response.status_code == 302, response.content.decode()[:2000]
    return link_path(invitation_link())


def test_invite_on_the_web_emails_an_absolute_single_use_link_and_stores_only_a_hash(alice, org):
    path = invite(alice, "Carol@Example.com", "viewer")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["carol@example.com"]
    assert "Alice Inc" in message.subject
    assert invitation_link().startswith(settings.SITE_URL + "/invitations/")
    token = path.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get()
    assert invitation.email == "carol@example.com" and invitation.role == Role.VIEWER
    assert invitation.token_hash != token and len(invitation.token_hash) == 64
    assert not Invitation.objects.filter(token_hash__contains=token).exists()
    assert invitation.expires_at - invitation.created_at == timedelta(days=settings.ACCOUNTS_INVITATION_TTL_DAYS)
    assert_audited(org, "member.invited", alice, email="carol@example.com", role="viewer")
    assert b"carol@example.com" in web(alice).get(MEMBERS).content  # listed as pending


def test_invite_through_the_api(api_client_for, alice, org):
    response = api_as(api_client_for, alice).post(
        "/api/v1/invitations/", {"email": "carol@example.com", "role": "admin"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["email"] == "carol@example.com" and response.json()["email_sent"] is True
    assert "token" not in response.json()
    assert Invitation.objects.get().role == Role.ADMIN
    assert [row["email"] for row in api_client_for(alice).get("/api/v1/invitations/").json()["results"]] == [
        "carol@example.com"
    ]
    assert_audited(org, "member.invited", alice, role="admin")


def test_inviting_an_existing_member_or_as_owner_is_refused(api_client_for, alice, bob):
    response = web(alice).post(MEMBERS, {"email": "BOB@example.com", "role": "member"})
    assert response.status_code == 200
    assert b"already a member" in response.content
    assert b'value="BOB@example.com"' in response.content  # what was typed is kept
    api = api_client_for(alice)
    assert (
        api.post("/api/v1/invitations/", {"email": "bob@example.com", "role": "member"}, format="json").status_code
        == 400
    )
    assert (
        api.post("/api/v1/invitations/", {"email": "x@example.com", "role": "owner"}, format="json").status_code == 400
    )
    response = web(alice).post(MEMBERS, {"email": "not an email", "role": "owner"})
    assert response.status_code == 200
    assert b'id="id_email_error"' in response.content and b'id="id_role_error"' in response.content
    assert not Invitation.objects.exists() and mail.outbox == []


def test_a_second_invitation_to_the_same_address_replaces_the_first(alice, org, carol):
    first = invite(alice)
    second = invite(alice, role="viewer")
    assert Invitation.objects.filter(revoked_at=None).count() == 1
    assert_audited(org, "invitation.revoked", alice, replaced=True)
    response = web(carol).post(first)
    assert response.status_code == 410 and b"withdrawn" in response.content
    assert web(carol).post(second).status_code == 302
    assert membership(carol, org).role == Role.VIEWER


def test_member_and_viewer_cannot_invite_or_list_invitations(api_client_for, alice, bob, org):
    viewer = member_of(org, email="vic@example.com", role=Role.VIEWER)
    for user in (bob, viewer):
        assert web(user).post(MEMBERS, {"email": "x@example.com", "role": "member"}).status_code == 403
        api = api_client_for(user)
        assert (
            api.post("/api/v1/invitations/", {"email": "x@example.com", "role": "member"}, format="json").status_code
            == 403
        )
        assert api.get("/api/v1/invitations/").status_code == 403
    assert not Invitation.objects.exists()


# --- accepting --------------------------------------------------------------------------


def test_the_invited_user_accepts_once_and_becomes_a_member(alice, org, carol):
    path = invite(alice, role="viewer")
    client = web(carol)
    page = client.get(path)
    assert page.status_code == 200 and b"Accept invitation" in page.content and b"Alice Inc" in page.content
    response = client.post(path)
    assert response.status_code == 302
    assert membership(carol, org).role == Role.VIEWER
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == carol and invitation.accepted_at is not None
    assert_audited(org, "member.joined", carol, email="carol@example.com", role="viewer")
    # Joined organisation becomes the current one.
    assert client.get("/settings/members/").context["organization"] == org

    again = client.post(path)
    assert again.status_code == 410 and b"already been used" in again.content
    assert Membership.objects.filter(user=carol, organization=org).count() == 1


def test_a_used_link_cannot_be_used_by_someone_else(alice, org, carol):
    path = invite(alice)
    assert web(carol).post(path).status_code == 302
    dave = make_user(email="dave@example.com")
    assert web(dave).post(path).status_code == 410
    assert not Membership.objects.filter(user=dave, organization=org).exists()


def test_an_expired_invitation_cannot_be_accepted(alice, org, carol):
    path = invite(alice)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    page = web(carol).get(path)
    assert page.status_code == 410 and b"expired" in page.content
    response = web(carol).post(path)
    assert response.status_code == 410 and b"expired" in response.content
    assert not Membership.objects.filter(user=carol, organization=org).exists()


def test_a_user_with_another_email_cannot_accept(alice, org, mallory):
    path = invite(alice)
    page = web(mallory).get(path)
    assert page.status_code == 200 and b"Accept invitation" not in page.content
    response = web(mallory).post(path)
    assert response.status_code == 403 and b"another email address" in response.content
    assert not Membership.objects.filter(user=mallory, organization=org).exists()
    assert Invitation.objects.get().accepted_at is None


def test_an_unverified_matching_address_cannot_accept(alice, org):
    carol = User.objects.create_user(email="carol@example.com", password="correct horse battery")
    EmailAddress.objects.create(user=carol, email=carol.email, verified=False, primary=True)
    path = invite(alice)
    assert web(carol).post(path).status_code == 403
    assert not Membership.objects.filter(user=carol).exists()


def test_a_revoked_invitation_cannot_be_accepted_web_and_api(api_client_for, alice, org, carol):
    path = invite(alice)
    invitation = Invitation.objects.get()
    response = web(alice).post(f"/settings/invitations/{invitation.id}/revoke/")
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert_audited(org, "invitation.revoked", alice, email="carol@example.com")
    assert web(carol).post(path).status_code == 410

    path = invite(alice)
    invitation = Invitation.objects.get(revoked_at=None)
    assert api_client_for(alice).delete(f"/api/v1/invitations/{invitation.id}/").status_code == 204
    response = web(carol).post(path)
    assert response.status_code == 410 and b"withdrawn" in response.content
    assert not Membership.objects.filter(user=carol, organization=org).exists()


def test_an_unknown_token_is_404_and_visitors_get_login_and_signup_links(alice):
    assert web().get("/invitations/not-a-real-token/").status_code == 404
    path = invite(alice)
    page = web().get(path).content.decode()
    assert f"/accounts/login/?next={path.replace('/', '%2F')}" in page
    assert f"/accounts/signup/?next={path.replace('/', '%2F')}" in page
    response = web().post(path)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_another_orgs_invitation_id_is_404(api_client_for, alice, mallory):
    invite(alice)
    invitation = Invitation.objects.get()
    assert web(mallory).post(f"/settings/invitations/{invitation.id}/revoke/").status_code == 404
    assert api_client_for(mallory).delete(f"/api/v1/invitations/{invitation.id}/").status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


# --- signup while SIGNUP_OPEN is false ------------------------------------------------------


SIGNUP = {
    "email": "carol@example.com",
    "password1": "a long enough passphrase 42",
    "password2": "a long enough passphrase 42",
}


def test_signup_closed_without_an_invitation(settings, alice):
    settings.SIGNUP_OPEN = False
    client = web()
    page = client.get("/accounts/signup/")
    assert b"password1" not in page.content
    client.post("/accounts/signup/", SIGNUP)
    assert not User.objects.filter(email="carol@example.com").exists()


def test_signup_open_for_a_visitor_with_a_valid_invitation_then_accept(settings, alice, org):
    settings.SIGNUP_OPEN = False
    path = invite(alice)
    client = web()
    assert client.get(path).status_code == 200  # remembers the invitation in the session
    assert b"password1" in client.get(f"/accounts/signup/?next={path}").content
    client.post(f"/accounts/signup/?next={path}", SIGNUP)
    carol = User.objects.get(email="carol@example.com")
    EmailAddress.objects.filter(user=carol).update(verified=True)  # the confirmation link, as a test shortcut
    client.force_login(carol)
    assert client.post(path).status_code == 302
    assert membership(carol, org).role == Role.MEMBER


def test_signup_stays_closed_when_the_remembered_invitation_expired(settings, alice):
    settings.SIGNUP_OPEN = False
    path = invite(alice)
    client = web()
    client.get(path)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client.post("/accounts/signup/", SIGNUP)
    assert not User.objects.filter(email="carol@example.com").exists()


# --- rate limits ---------------------------------------------------------------------------


def test_invitations_are_rate_limited_per_account_with_retry_after(settings, api_client_for, alice):
    settings.RATELIMIT_ENABLE = True
    client = web(alice)
    for n in range(20):
        assert client.post(MEMBERS, {"email": f"p{n}@example.com", "role": "member"}).status_code == 302
    response = client.post(MEMBERS, {"email": "p20@example.com", "role": "member"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    api = api_client_for(alice)  # the same account through the API shares the bucket
    response = api.post("/api/v1/invitations/", {"email": "p21@example.com", "role": "member"}, format="json")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert Invitation.objects.count() == 20


def test_invitations_are_rate_limited_per_ip(settings, alice, org):
    settings.RATELIMIT_ENABLE = True
    admins = [alice] + [member_of(org, email=f"admin{n}@example.com", role=Role.ADMIN) for n in range(2)]
    sent = 0
    for admin in admins:
        client = web(admin)
        for _ in range(20 if admin != admins[-1] else 10):
            response = client.post(MEMBERS, {"email": f"q{sent}@example.com", "role": "member"})
            assert response.status_code == 302, sent
            sent += 1
    response = web(admins[-1]).post(MEMBERS, {"email": "last@example.com", "role": "member"})
    assert response.status_code == 429
    assert sent == 50 and TEST_IP
    assert AuditEvent.objects.filter(action="member.invited").count() == 50
