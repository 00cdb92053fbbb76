"""Members: list, change role, remove, leave, transfer ownership; at least one owner always (web, API, admin)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import AuditEvent, Membership
from accounts.roles import Permission, permissions_of
from accounts.tests.org_helpers import TEST_IP, api_as, assert_audited, member_of, membership, web
from conftest import make_user, organization_of

pytestmark = pytest.mark.django_db

MEMBERS = "/settings/members/"
Role = Membership.Role


def role_url(m: Membership) -> str:
    return f"/settings/members/{m.id}/role/"


def remove_url(m: Membership) -> str:
    return f"/settings/members/{m.id}/remove/"


@pytest.fixture
def org(alice):
    return organization_of(alice)


@pytest.fixture
def viewer(org):
    return member_of(org, email="vic@example.com", role=Role.VIEWER)


@pytest.fixture
def admin(org):
    return member_of(org, email="ada@example.com", role=Role.ADMIN)


# --- list ---------------------------------------------------------------------------


def test_member_list_shows_the_members_to_owner_and_member(alice, bob, mallory):
    for user in (alice, bob):
        response = web(user).get(MEMBERS)
        assert response.status_code == 200
        assert b"alice@example.com" in response.content and b"bob@example.com" in response.content
    page = web(mallory).get(MEMBERS).content
    assert b"bob@example.com" not in page and b"mallory@example.com" in page


def test_member_list_api_lists_the_current_organisation_only(api_client_for, alice, bob, mallory):
    emails = [row["email"] for row in api_client_for(alice).get("/api/v1/members/").json()["results"]]
    assert emails == ["alice@example.com", "bob@example.com"]
    roles = {row["email"]: row["role"] for row in api_client_for(bob).get("/api/v1/members/").json()["results"]}
    assert roles == {"alice@example.com": "owner", "bob@example.com": "member"}
    assert [r["email"] for r in api_client_for(mallory).get("/api/v1/members/").json()["results"]] == [
        "mallory@example.com"
    ]


def test_member_list_page_offers_management_only_to_admins(alice, bob, viewer):
    assert b"Send invitation" in web(alice).get(MEMBERS).content
    for user in (bob, viewer):
        page = web(user).get(MEMBERS).content
        assert b"Send invitation" not in page
        assert b"/role/" not in page and b"/remove/" not in page


# --- role changes ---------------------------------------------------------------------


def test_admin_changes_a_member_to_viewer_through_the_web_and_it_is_audited(org, admin, bob):
    response = web(admin).post(role_url(membership(bob)), {"role": "viewer"})
    assert response.status_code == 302
    assert membership(bob).role == Role.VIEWER
    assert_audited(org, "member.role_changed", admin, old="member", new="viewer", email="bob@example.com")


def test_admin_changes_a_role_through_the_api(api_client_for, org, admin, bob):
    response = api_as(api_client_for, admin).patch(
        f"/api/v1/members/{membership(bob).id}/", {"role": "admin"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["role"] == "admin"
    assert membership(bob).role == Role.ADMIN
    assert_audited(org, "member.role_changed", admin, old="member", new="admin")


def test_member_cannot_manage_members_403(api_client_for, alice, bob, viewer):
    target = membership(viewer)
    for user in (bob, viewer):
        other = membership(bob) if user == viewer else target
        assert web(user).post(role_url(other), {"role": "admin"}).status_code == 403
        assert web(user).post(remove_url(other)).status_code == 403
        assert web(user).post(MEMBERS, {"email": "x@example.com", "role": "member"}).status_code == 403
        api = api_client_for(user)
        assert api.patch(f"/api/v1/members/{other.id}/", {"role": "admin"}, format="json").status_code == 403
        assert api.delete(f"/api/v1/members/{other.id}/").status_code == 403
    assert membership(viewer).role == Role.VIEWER and membership(bob).role == Role.MEMBER
    assert not AuditEvent.objects.filter(action__startswith="member.").exists()


def test_admin_cannot_make_an_owner_or_touch_an_owner(api_client_for, alice, admin, bob):
    assert web(admin).post(role_url(membership(bob)), {"role": "owner"}).status_code == 403
    assert web(admin).post(role_url(membership(alice)), {"role": "admin"}).status_code == 403
    assert web(admin).post(remove_url(membership(alice))).status_code == 403
    api = api_client_for(admin)
    assert api.patch(f"/api/v1/members/{membership(bob).id}/", {"role": "owner"}, format="json").status_code == 403
    assert api.delete(f"/api/v1/members/{membership(alice).id}/").status_code == 403
    assert membership(alice).role == Role.OWNER and membership(bob).role == Role.MEMBER


def test_owner_can_make_another_owner_and_then_step_down(alice, bob, org):
    assert web(alice).post(role_url(membership(bob)), {"role": "owner"}).status_code == 302
    assert web(alice).post(role_url(membership(alice)), {"role": "member"}).status_code == 302
    assert membership(bob).role == Role.OWNER and membership(alice).role == Role.MEMBER


def test_bad_role_value_is_a_message_not_a_500(alice, bob):
    response = web(alice).post(role_url(membership(bob)), {"role": "emperor"}, follow=True)
    assert response.status_code == 200
    assert b"Choose one of the roles offered" in response.content
    assert membership(bob).role == Role.MEMBER


# --- at least one owner ------------------------------------------------------------------


def test_demoting_the_last_owner_is_refused_on_the_web(alice, org):
    response = web(alice).post(role_url(membership(alice)), {"role": "admin"}, follow=True)
    assert b"at least one owner" in response.content
    assert membership(alice).role == Role.OWNER
    assert not AuditEvent.objects.filter(action="member.role_changed").exists()


def test_demoting_or_removing_the_last_owner_is_refused_in_the_api(api_client_for, alice):
    api = api_client_for(alice)
    response = api.patch(f"/api/v1/members/{membership(alice).id}/", {"role": "viewer"}, format="json")
    assert response.status_code == 400
    assert "at least one owner" in response.json()["message"]
    assert api.delete(f"/api/v1/members/{membership(alice).id}/").status_code == 400
    assert api.post("/api/v1/organization/leave/").status_code == 400
    assert membership(alice).role == Role.OWNER


def test_the_last_owner_cannot_leave_on_the_web(alice):
    response = web(alice).post("/settings/members/leave/", follow=True)
    assert b"at least one owner" in response.content
    assert membership(alice).role == Role.OWNER


def test_admin_site_refuses_to_demote_or_delete_the_last_owner(alice, bob, org):
    staff = make_user(email="staff@example.com")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    client = web(staff)
    m = membership(alice)
    change = f"/admin/accounts/membership/{m.id}/change/"
    page = client.get(change)
    assert page.status_code == 200
    response = client.post(change, {"user": alice.id, "organization": org.id, "role": "member"})
    assert response.status_code == 200  # the form comes back with the error
    assert b"at least one owner" in response.content
    assert membership(alice).role == Role.OWNER

    response = client.post(f"/admin/accounts/membership/{m.id}/delete/", {"post": "yes"}, follow=True)
    assert b"at least one owner" in response.content
    assert Membership.objects.filter(id=m.id).exists()

    # A member's role changes through the service: audited with the operator as actor.
    bm = membership(bob)
    response = client.post(
        f"/admin/accounts/membership/{bm.id}/change/", {"user": bob.id, "organization": org.id, "role": "viewer"}
    )
    assert response.status_code == 302
    assert membership(bob).role == Role.VIEWER
    assert_audited(org, "member.role_changed", staff, old="member", new="viewer")


def test_admin_site_membership_list_shows_the_permissions_of_each_role(alice, bob):
    staff = make_user(email="staff@example.com")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    page = web(staff).get("/admin/accounts/membership/").content.decode()
    for permission in permissions_of(Role.OWNER):
        assert permission.value in page
    assert Permission.DELETE_ORGANIZATION.value in page


# --- remove and leave ---------------------------------------------------------------------


def test_owner_removes_a_member_on_the_web_and_it_is_audited(alice, bob, org):
    response = web(alice).post(remove_url(membership(bob)))
    assert response.status_code == 302
    assert not Membership.objects.filter(user=bob, organization=org).exists()
    assert_audited(org, "member.removed", alice, email="bob@example.com", role="member")


def test_admin_removes_a_member_through_the_api(api_client_for, org, admin, bob):
    assert api_as(api_client_for, admin).delete(f"/api/v1/members/{membership(bob).id}/").status_code == 204
    assert not Membership.objects.filter(user=bob, organization=org).exists()
    assert_audited(org, "member.removed", admin, email="bob@example.com")


def test_a_member_leaves_on_the_web_and_it_is_audited_as_left(alice, bob, org):
    response = web(bob).post("/settings/members/leave/")
    assert response.status_code == 302
    assert not Membership.objects.filter(user=bob, organization=org).exists()
    assert_audited(org, "member.left", bob, email="bob@example.com")


def test_ten_04_removed_member_session_and_jwt_get_404_on_the_next_request(api_client_for, alice, bob, org):
    session = web(bob)
    api = api_client_for(bob)
    assert session.get("/settings/members/").status_code == 200
    assert api.get("/api/v1/members/").status_code == 200
    assert web(alice).post(remove_url(membership(bob))).status_code == 302
    assert session.get("/settings/members/").status_code == 404
    assert api.get("/api/v1/members/").status_code == 404
    assert api.get("/api/v1/organization/").status_code == 404


def test_another_orgs_membership_id_is_404(api_client_for, alice, bob, mallory):
    target = membership(bob)
    assert web(mallory).post(role_url(target), {"role": "owner"}).status_code == 404
    assert web(mallory).post(remove_url(target)).status_code == 404
    api = api_client_for(mallory)
    assert api.patch(f"/api/v1/members/{target.id}/", {"role": "owner"}, format="json").status_code == 404
    assert api.delete(f"/api/v1/members/{target.id}/").status_code == 404
    assert membership(bob).role == Role.MEMBER


# --- ownership transfer ---------------------------------------------------------------


def test_owner_transfers_ownership_on_the_web(alice, bob, org):
    response = web(alice).post("/settings/organization/transfer/", {"membership": membership(bob).id})
    assert response.status_code == 302
    assert membership(bob).role == Role.OWNER
    assert membership(alice).role == Role.ADMIN
    assert_audited(org, "organization.ownership_transferred", alice, to="bob@example.com", to_old_role="member")


def test_owner_transfers_ownership_through_the_api(api_client_for, alice, bob, org):
    api = api_as(api_client_for, alice)
    response = api.post("/api/v1/organization/transfer/", {"membership_id": membership(bob).id}, format="json")
    assert response.status_code == 200, response.content
    assert membership(bob).role == Role.OWNER and membership(alice).role == Role.ADMIN
    assert_audited(org, "organization.ownership_transferred", alice, **{"from": "alice@example.com"})


def test_only_an_owner_can_transfer_and_only_to_a_member(api_client_for, alice, admin, bob, mallory):
    assert web(admin).post("/settings/organization/transfer/", {"membership": membership(bob).id}).status_code == 403
    assert (
        api_client_for(admin)
        .post("/api/v1/organization/transfer/", {"membership_id": membership(bob).id}, format="json")
        .status_code
        == 403
    )
    outsider = membership(mallory)
    response = api_client_for(alice).post(
        "/api/v1/organization/transfer/", {"membership_id": outsider.id}, format="json"
    )
    assert response.status_code == 400
    response = web(alice).post("/settings/organization/transfer/", {"membership": outsider.id}, follow=True)
    assert b"Choose a member of this organisation" in response.content
    assert membership(alice).role == Role.OWNER and membership(mallory).role == Role.OWNER


def test_anonymous_visitors_are_sent_to_log_in():
    response = web().get(MEMBERS)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert isinstance(AnonymousUser(), AnonymousUser)
    assert TEST_IP


def test_admin_user_and_organisation_pages_show_memberships_read_only(alice, org):
    staff = make_user(email="staff@example.com")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    client = web(staff)
    for path in (f"/admin/accounts/user/{alice.id}/change/", f"/admin/accounts/organization/{org.id}/change/"):
        page = client.get(path)
        assert page.status_code == 200
        assert b'name="memberships-0-role"' not in page.content
        assert b'name="memberships-0-DELETE"' not in page.content
