"""The audit log: admins and owners read it (web and API); it cannot be written through the API or the admin."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent, Membership
from accounts.services import Actor, api_key_create, audit_record
from accounts.tests.org_helpers import member_of, web
from conftest import make_user, organization_of

pytestmark = pytest.mark.django_db

AUDIT = "/settings/audit/"
Role = Membership.Role


@pytest.fixture
def org(alice):
    return organization_of(alice)


@pytest.fixture
def events(alice, org):
    actor = Actor(user=alice, ip="198.51.100.4")
    audit_record(organization=org, actor=actor, action="monitor.created", target=org, data={"name": "A"})
    return [audit_record(organization=org, actor=actor, action="member.removed", data={"email": "x@example.com"})]


def test_owner_and_admin_see_the_audit_log_newest_first(alice, org, events):
    admin = member_of(org, email="ada@example.com", role=Role.ADMIN)
    for user in (alice, admin):
        response = web(user).get(AUDIT)
        assert response.status_code == 200
        page = response.content.decode()
        assert "198.51.100.4" in page and "alice@example.com" in page
        assert page.index("member.removed") < page.index("monitor.created")


def test_member_and_viewer_get_403_on_the_audit_log(api_client_for, bob, org, events):
    viewer = member_of(org, email="vic@example.com", role=Role.VIEWER)
    for user in (bob, viewer):
        assert web(user).get(AUDIT).status_code == 403
        assert api_client_for(user).get("/api/v1/audit-events/").status_code == 403
        assert api_client_for(user).get(f"/api/v1/audit-events/{events[0].id}/").status_code == 403


def test_audit_log_filters_by_action_and_paginates(alice, org, events):
    for n in range(60):
        audit_record(organization=org, actor=None, action="channel.changed", data={"n": n})
    page = web(alice).get(AUDIT, {"action": "member.removed"}).content.decode()
    assert "member.removed" in page and "monitor.created</td>" not in page
    first = web(alice).get(AUDIT)
    assert len(first.context["events"]) == 50 and first.context["page_obj"].has_next()
    assert web(alice).get(AUDIT, {"page": "2"}).status_code == 200
    assert web(alice).get(AUDIT, {"page": "zzz", "action": "x" * 500}).status_code == 200


def test_audit_api_lists_details_and_filters(api_client_for, alice, org, mallory, events):
    api = api_client_for(alice)
    body = api.get("/api/v1/audit-events/").json()
    assert body["results"][0]["action"] == "member.removed"
    assert {row["id"] for row in body["results"]} == set(
        AuditEvent.objects.filter(organization=org).values_list("id", flat=True)
    )
    assert body["results"][0]["ip"] == "198.51.100.4" and body["results"][0]["actor_email"] == "alice@example.com"
    only = api.get("/api/v1/audit-events/", {"action": "monitor.created"}).json()
    assert [row["action"] for row in only["results"]] == ["monitor.created"]
    detail = api.get(f"/api/v1/audit-events/{events[0].id}/")
    assert detail.status_code == 200 and detail.json()["data"] == {"email": "x@example.com"}
    assert api_client_for(mallory).get(f"/api/v1/audit-events/{events[0].id}/").status_code == 404
    theirs = {row["id"] for row in api_client_for(mallory).get("/api/v1/audit-events/").json()["results"]}
    assert theirs.isdisjoint(AuditEvent.objects.filter(organization=org).values_list("id", flat=True))


def test_audit_api_is_read_only(api_client_for, alice, events):
    api = api_client_for(alice)
    before = list(AuditEvent.objects.values())
    for method in ("post", "put", "patch", "delete"):
        assert getattr(api, method)("/api/v1/audit-events/", {"action": "x"}, format="json").status_code in (403, 405)
        response = getattr(api, method)(f"/api/v1/audit-events/{events[0].id}/", {"action": "x"}, format="json")
        assert response.status_code in (403, 405)
    assert list(AuditEvent.objects.values()) == before


def test_audit_api_with_keys_follows_the_creators_role(alice, bob, org, events):
    from rest_framework.test import APIClient  # noqa: PLC0415

    write_key = api_key_create(organization=org, created_by=alice, name="w", scope="write").key
    read_key = api_key_create(organization=org, created_by=alice, name="r", scope="read").key
    # A read key reads what its creator (an owner) reads (KEY-02); a member's key does not.
    members_key = api_key_create(organization=org, created_by=bob, name="b", scope="write").key
    assert APIClient().get("/api/v1/audit-events/", HTTP_X_API_KEY=write_key).status_code == 200
    assert APIClient().get("/api/v1/audit-events/", HTTP_X_API_KEY=read_key).status_code == 200
    assert APIClient().get("/api/v1/audit-events/", HTTP_X_API_KEY=members_key).status_code == 403


def test_audit_admin_is_read_only(alice, org, events):
    staff = make_user(email="staff@example.com")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    client = web(staff)
    assert client.get("/admin/accounts/auditevent/").status_code == 200
    event = events[0]
    assert client.get(f"/admin/accounts/auditevent/{event.id}/change/").status_code == 200
    assert client.post(f"/admin/accounts/auditevent/{event.id}/change/", {"action": "x"}).status_code == 403
    assert client.post(f"/admin/accounts/auditevent/{event.id}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/accounts/auditevent/add/").status_code == 403
    event.refresh_from_db()
    assert event.action == "member.removed"
