"""TEN-03: another organisation's ids in a request body or filter never reach its objects.

No write endpoint takes a monitor or channel id in its body yet (alert rules and routing do not
exist), so the related-id cases are the ones that do exist: the incidents `?monitor=` filter
and the ownership transfer's `membership_id`. A PATCH (or POST) of `organization`/`account`
is ignored: the object stays in the caller's organisation.
"""

from __future__ import annotations

import pytest

from accounts.models import Membership
from alerts.models import Channel, Incident
from alerts.services import channel_create
from conftest import organization_of
from monitors.models import Monitor
from monitors.services import monitor_create
from tests.isolation import db_state

pytestmark = pytest.mark.django_db

TENANT_FIELDS = ("organization", "organization_id", "account", "account_id", "owner", "user")


def _tenant_fields(value: int) -> dict[str, int]:
    return dict.fromkeys(TENANT_FIELDS, value)


def test_ten_03_incidents_filter_with_alices_monitor_is_empty(api_client_for, alice, mallory):
    monitor = monitor_create(organization=organization_of(alice), name="Alice's API", url="https://alice.example/")
    Incident.objects.create(monitor=monitor, opened_at=monitor.created_at, cause="Alice's outage")
    response = api_client_for(mallory).get("/api/v1/incidents/", {"monitor": monitor.pk})
    assert response.status_code == 200
    assert response.json()["results"] == []
    assert "Alice" not in response.content.decode()


def test_ten_03_ownership_transfer_to_alices_member_is_400_on_that_field(api_client_for, alice, bob, mallory):
    bobs = Membership.objects.get(user=bob)
    before = db_state()
    response = api_client_for(mallory).post("/api/v1/organization/transfer/", {"membership_id": bobs.pk}, format="json")
    assert response.status_code == 400
    assert "membership_id" in response.json()
    assert "bob@example.com" not in response.content.decode()
    assert db_state() == before


def test_ten_03_monitor_create_with_alices_organization_is_created_in_mallorys(api_client_for, alice, mallory):
    body = {"name": "m", "url": "https://mallory.example/"} | _tenant_fields(organization_of(alice).pk)
    response = api_client_for(mallory).post("/api/v1/monitors/", body, format="json")
    assert response.status_code == 201
    assert Monitor.objects.get(pk=response.json()["id"]).organization == organization_of(mallory)
    assert not Monitor.objects.filter(organization=organization_of(alice)).exists()


@pytest.mark.parametrize("method", ["patch", "put"])
def test_ten_03_monitor_patch_of_organization_is_ignored(api_client_for, alice, mallory, method):
    monitor = monitor_create(organization=organization_of(mallory), name="m", url="https://mallory.example/")
    body = {"name": "m2", "url": "https://mallory.example/"} | _tenant_fields(organization_of(alice).pk)
    response = getattr(api_client_for(mallory), method)(f"/api/v1/monitors/{monitor.pk}/", body, format="json")
    assert response.status_code == 200
    monitor.refresh_from_db()
    assert (monitor.organization, monitor.name) == (organization_of(mallory), "m2")


def test_ten_03_channel_create_and_patch_of_organization_are_ignored(api_client_for, alice, mallory):
    client = api_client_for(mallory)
    alice_org = organization_of(alice).pk
    created = client.post(
        "/api/v1/channels/",
        {"kind": "email", "name": "c", "target": "ops@example.com"} | _tenant_fields(alice_org),
        format="json",
    )
    assert created.status_code == 201
    channel = Channel.objects.get(pk=created.json()["id"])
    assert channel.organization == organization_of(mallory)
    patched = client.patch(f"/api/v1/channels/{channel.pk}/", {"name": "c2"} | _tenant_fields(alice_org), format="json")
    assert patched.status_code == 200
    channel.refresh_from_db()
    assert (channel.organization, channel.name) == (organization_of(mallory), "c2")
    assert Channel.objects.filter(organization=organization_of(alice)).count() == 1  # her default email channel


def test_ten_03_web_monitor_form_ignores_an_organization_field(alice, mallory, client):
    client.force_login(mallory)
    form = {
        "name": "web",
        "url": "http://127.0.0.1:9/x",
        "method": "GET",
        "expected_status": "200",
        "interval_seconds": "300",
        "timeout_seconds": "5",
    } | {name: str(organization_of(alice).pk) for name in TENANT_FIELDS}
    response = client.post("/monitors/new/", form)
    assert response.status_code == 302
    assert Monitor.objects.get(name="web").organization == organization_of(mallory)


def test_ten_03_channel_service_scopes_to_the_given_organisation(alice, mallory):
    channel = channel_create(organization=organization_of(mallory), kind="email", name="x", target="x@example.com")
    assert channel.organization == organization_of(mallory)
