"""TEN-04: bob, a member, reads alice's organisation; as a viewer he cannot write; once removed,
his live session and his JWT get 404 on the very next request for alice's objects."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Membership
from accounts.services import Actor, membership_remove
from alerts.models import Channel
from conftest import organization_of
from monitors.models import Monitor
from monitors.services import monitor_create
from tests.isolation import db_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def monitor(alice) -> Monitor:
    return monitor_create(organization=organization_of(alice), name="Alice's API", url="https://alice.example/")


def _web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_ten_04_member_gets_200_on_reads_and_may_manage_monitors(api_client_for, bob, monitor):
    api, web = api_client_for(bob), _web(bob)
    for path in ("/api/v1/monitors/", f"/api/v1/monitors/{monitor.pk}/", f"/api/v1/monitors/{monitor.pk}/results/"):
        assert api.get(path).status_code == 200, path
    for path in ("/", f"/monitors/{monitor.pk}/", "/channels/"):
        assert web.get(path).status_code == 200, path
    assert api.patch(f"/api/v1/monitors/{monitor.pk}/", {"name": "renamed"}, format="json").status_code == 200
    # Channels are for admins and owners (accounts.roles).
    assert api.post("/api/v1/channels/", {"kind": "email", "name": "x", "target": "x@example.com"}).status_code == 403


def test_ten_04_viewer_writes_are_403_and_change_nothing(api_client_for, bob, monitor):
    Membership.objects.filter(user=bob).update(role=Membership.Role.VIEWER)
    api, web = api_client_for(bob), _web(bob)
    before = db_state()
    assert api.post("/api/v1/monitors/", {"name": "x", "url": "https://x.example/"}, format="json").status_code == 403
    assert api.patch(f"/api/v1/monitors/{monitor.pk}/", {"paused": True}, format="json").status_code == 403
    assert api.delete(f"/api/v1/monitors/{monitor.pk}/").status_code == 403
    assert web.get("/monitors/new/").status_code == 403
    assert web.post("/monitors/new/", {"name": "x", "url": "http://127.0.0.1:9/"}).status_code == 403
    assert web.post(f"/monitors/{monitor.pk}/edit/", {"name": "x"}).status_code == 403
    assert web.post(f"/monitors/{monitor.pk}/delete/").status_code == 403
    assert db_state() == before
    # Reads still work, and the pages offer no write buttons.
    assert api.get(f"/api/v1/monitors/{monitor.pk}/").status_code == 200
    detail = web.get(f"/monitors/{monitor.pk}/").content.decode()
    assert f"/monitors/{monitor.pk}/edit/" not in detail and f"/monitors/{monitor.pk}/delete/" not in detail
    # The page's own buttons (the site navigation is templates/includes/_nav.html's business).
    assert 'class="button" href="/monitors/new/"' not in web.get("/").content.decode()
    channels = web.get("/channels/").content.decode()
    assert 'href="/channels/new/"' not in channels and "Send test" not in channels


def test_ten_04_removed_member_gets_404_on_the_next_request(api_client_for, alice, bob, monitor):
    channel = Channel.objects.get(organization=organization_of(alice))
    api, web = api_client_for(bob), _web(bob)
    assert api.get(f"/api/v1/monitors/{monitor.pk}/").status_code == 200
    assert web.get(f"/monitors/{monitor.pk}/").status_code == 200

    membership_remove(membership=Membership.objects.get(user=bob), actor=Actor(user=alice, ip="127.0.0.1"))

    # The same session and the same (unexpired) JWT, on the very next request.
    for path in (
        f"/api/v1/monitors/{monitor.pk}/",
        f"/api/v1/monitors/{monitor.pk}/results/",
        f"/api/v1/channels/{channel.pk}/",
    ):
        assert api.get(path).status_code == 404, path
    assert api.patch(f"/api/v1/monitors/{monitor.pk}/", {"name": "x"}, format="json").status_code == 404
    assert web.get(f"/monitors/{monitor.pk}/").status_code == 404
    assert web.post(f"/monitors/{monitor.pk}/delete/").status_code == 404
    assert web.post(f"/channels/{channel.pk}/delete/").status_code == 404
    assert "Alice" not in web.get("/").content.decode()
    assert Monitor.objects.filter(pk=monitor.pk, name="Alice's API").exists()
