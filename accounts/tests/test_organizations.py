"""Organisations: create, switch, settings (name, require MFA), delete, and the API for them."""

from __future__ import annotations

import pytest
from django.apps import apps

from accounts.models import AuditEvent, Membership, Organization
from accounts.selectors import SESSION_ORGANIZATION_KEY
from accounts.tests.org_helpers import api_as, assert_audited, member_of, membership, web
from conftest import make_user, organization_of

pytestmark = pytest.mark.django_db

SETTINGS = "/settings/organization/"
DELETE = "/settings/organization/delete/"
Role = Membership.Role


@pytest.fixture
def org(alice):
    return organization_of(alice)


def test_create_another_organisation_makes_the_creator_owner_and_switches_to_it(alice):
    client = web(alice)
    assert client.get("/organizations/new/").status_code == 200
    response = client.post("/organizations/new/", {"name": "Alice Labs"})
    assert response.status_code == 302
    labs = Organization.objects.get(name="Alice Labs")
    assert membership(alice, labs).role == Role.OWNER
    assert client.session[SESSION_ORGANIZATION_KEY] == labs.id
    assert_audited(labs, "organization.created", alice)
    assert b"Alice Labs" in client.get("/").content


def test_create_with_a_blank_name_is_a_field_error(alice):
    response = web(alice).post("/organizations/new/", {"name": "   "})
    assert response.status_code == 200 and b'id="id_name_error"' in response.content
    assert Organization.objects.count() == 1


def add_monitor(api_client_for, user, name: str) -> None:
    """Through the API (accounts sits below monitors: its tests do not import them)."""
    response = api_client_for(user).post(
        "/api/v1/monitors/", {"name": name, "url": "https://api.example.com/"}, format="json"
    )
    assert response.status_code == 201, response.content


def test_switch_to_an_own_organisation_shows_its_monitors(api_client_for, alice, mallory):
    labs_client = web(alice)
    labs_client.post("/organizations/new/", {"name": "Alice Labs"})
    labs = Organization.objects.get(name="Alice Labs")
    add_monitor(api_client_for, alice, "Inc monitor")
    assert b"Inc monitor" not in labs_client.get("/").content
    response = labs_client.post("/organizations/switch/", {"organization": organization_of(alice).id, "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert b"Inc monitor" in labs_client.get("/").content
    assert labs_client.session[SESSION_ORGANIZATION_KEY] != labs.id


def test_switch_to_a_foreign_or_bogus_organisation_is_404(alice, mallory):
    client = web(alice)
    for value in (organization_of(mallory).id, 999999, "abc", ""):
        assert client.post("/organizations/switch/", {"organization": value}).status_code == 404
    assert SESSION_ORGANIZATION_KEY not in client.session
    assert client.get("/organizations/switch/").status_code == 405


def test_switch_ignores_an_offsite_next(alice):
    response = web(alice).post(
        "/organizations/switch/", {"organization": organization_of(alice).id, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_nav_has_the_switcher_and_team_links(alice, bob):
    page = web(alice).get("/").content.decode()
    assert 'id="org-switcher"' in page and "Alice Inc" in page
    assert "/settings/members/" in page and "/settings/audit/" in page
    assert "/settings/account/" in page and "/accounts/2fa/" in page
    assert "/settings/audit/" not in web(bob).get("/").content.decode()


# --- settings -------------------------------------------------------------------------


def test_admin_changes_name_and_requires_mfa_and_both_are_audited(alice, org):
    response = web(alice).post(SETTINGS, {"name": "Alice GmbH", "require_mfa": "on"})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.name == "Alice GmbH" and org.require_mfa is True
    event = assert_audited(org, "organization.updated", alice)
    assert event.data["name"] == {"old": "Alice Inc", "new": "Alice GmbH"}
    assert_audited(org, "organization.mfa_required_changed", alice, old=False, new=True)


def test_operator_switches_mfa_off_in_the_admin_and_it_is_audited(alice, org):
    org.require_mfa = True
    org.save()
    staff = make_user(email="staff@example.com")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    page = web(staff).get("/admin/accounts/organization/")
    assert b"require_mfa" in page.content or b"Require mfa" in page.content
    inline = {
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "1",
        "memberships-0-id": str(membership(alice).id),
        "memberships-0-organization": str(org.id),
    }
    form = {"name": "Alice Inc", "result_retention_days": "30", **inline}
    response = web(staff).post(f"/admin/accounts/organization/{org.id}/change/", form)
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.require_mfa is False
    assert_audited(org, "organization.mfa_required_changed", staff, old=True, new=False)


def test_member_and_viewer_see_settings_but_cannot_change_them(alice, bob, org):
    viewer = member_of(org, email="vic@example.com", role=Role.VIEWER)
    for user in (bob, viewer):
        page = web(user).get(SETTINGS)
        assert page.status_code == 200 and b"Alice Inc" in page.content and b"disabled" in page.content
        assert web(user).post(SETTINGS, {"name": "Hijacked"}).status_code == 403
    org.refresh_from_db()
    assert org.name == "Alice Inc"
    assert not AuditEvent.objects.filter(action="organization.updated").exists()


def test_settings_blank_name_is_a_field_error_not_a_500(alice, org):
    response = web(alice).post(SETTINGS, {"name": "", "require_mfa": "on"})
    assert response.status_code == 200 and b'id="id_name_error"' in response.content
    org.refresh_from_db()
    assert org.require_mfa is False


# --- delete --------------------------------------------------------------------------


def test_owner_deletes_the_organisation_after_typing_its_name(api_client_for, alice, bob, org):
    add_monitor(api_client_for, alice, "Doomed")
    client = web(alice)
    response = client.post(DELETE, {"confirm_name": "alice inc"})
    assert response.status_code == 200 and b'id="id_confirm_name_error"' in response.content
    assert Organization.objects.filter(id=org.id).exists()
    response = client.post(DELETE, {"confirm_name": "Alice Inc"})
    assert response.status_code == 302
    assert not Organization.objects.filter(id=org.id).exists()
    assert not apps.get_model("monitors", "Monitor").objects.filter(name="Doomed").exists()
    assert not Membership.objects.filter(organization_id=org.id).exists()


def test_admin_and_member_cannot_delete_the_organisation(api_client_for, alice, bob, org):
    admin = member_of(org, email="ada@example.com", role=Role.ADMIN)
    for user in (admin, bob):
        assert web(user).get(DELETE).status_code == 403
        assert web(user).post(DELETE, {"confirm_name": "Alice Inc"}).status_code == 403
    assert Organization.objects.filter(id=org.id).exists()


# --- API -------------------------------------------------------------------------------


def test_api_lists_the_callers_organisations_with_roles(api_client_for, alice, bob, mallory):
    web(bob).post("/organizations/new/", {"name": "Bob Co"})
    rows = api_client_for(bob).get("/api/v1/organizations/").json()
    assert {(row["name"], row["role"]) for row in rows} == {("Alice Inc", "member"), ("Bob Co", "owner")}
    assert [row["name"] for row in api_client_for(mallory).get("/api/v1/organizations/").json()] == ["Mallory Ltd"]


def test_api_current_organisation_get_and_patch(api_client_for, alice, bob, org):
    body = api_client_for(bob).get("/api/v1/organization/").json()
    assert body == {
        "id": org.id,
        "name": "Alice Inc",
        "require_mfa": False,
        "result_retention_days": 30,
        "role": "member",
    }
    assert api_client_for(bob).patch("/api/v1/organization/", {"name": "X"}, format="json").status_code == 403
    assert api_client_for(alice).patch("/api/v1/organization/", {"name": " "}, format="json").status_code == 400
    response = api_as(api_client_for, alice).patch("/api/v1/organization/", {"require_mfa": True}, format="json")
    assert response.status_code == 200 and response.json()["require_mfa"] is True
    org.refresh_from_db()
    assert org.require_mfa is True and org.name == "Alice Inc"
    assert_audited(org, "organization.mfa_required_changed", alice, new=True)
