from __future__ import annotations

import pytest
from rest_framework.test import APIClient
from standardwebhooks.webhooks import Webhook

from accounts.models import AuditEvent, Membership
from accounts.services import api_key_create
from alerts.models import Channel
from alerts.tests.factories import make_webhook

pytestmark = pytest.mark.django_db

CHANNELS = "/api/v1/channels/"
CHANNEL_FIELDS = {"id", "kind", "name", "target", "disabled", "last_error", "created_at", "config"}


def _key_client(user, organization, scope: str) -> APIClient:
    issued = api_key_create(organization=organization, created_by=user, name="ci", scope=scope)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=issued.key)
    return client


# --- list ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_channel_list_owner_and_member_see_the_organisations_channels(request, api_client_for, webhook, who) -> None:
    response = api_client_for(request.getfixturevalue(who)).get(CHANNELS)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert [c["kind"] for c in body["results"]] == ["email", "webhook"]
    assert all(set(c) == CHANNEL_FIELDS for c in body["results"])  # no secret in a list


def test_channel_list_queries_do_not_grow(api_client_for, alice, organization, django_assert_max_num_queries) -> None:
    for index in range(10):
        make_webhook(organization=organization, url=f"https://hooks.example.com/{index}", name=f"h{index}")
    with django_assert_max_num_queries(6):
        assert api_client_for(alice).get(CHANNELS).json()["count"] == 11


def test_channel_list_needs_credentials(alice) -> None:
    assert APIClient().get(CHANNELS).status_code == 401


def test_ten_01_channel_list_shows_only_the_callers_organisation(api_client_for, mallory, webhook) -> None:
    results = api_client_for(mallory).get(CHANNELS).json()["results"]
    assert [c["target"] for c in results] == ["mallory@example.com"]


# --- create -------------------------------------------------------------------------------


def test_channel_create_webhook_returns_its_secret_once(api_client_for, alice, http_target) -> None:
    client = api_client_for(alice)
    response = client.post(
        CHANNELS, {"kind": "webhook", "name": "ops", "target": f"{http_target.url}/h"}, format="json"
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert set(created) == CHANNEL_FIELDS | {"secret"}
    channel = Channel.objects.get(id=created["id"])
    assert created["secret"] == channel.secret and channel.secret.startswith("whsec_")
    assert "secret" not in client.get(f"{CHANNELS}{channel.id}/").json()
    assert all("secret" not in c for c in client.get(CHANNELS).json()["results"])
    # The secret from the response verifies a delivery.
    assert client.post(f"{CHANNELS}{channel.id}/test/").json() == {"ok": True, "error": ""}
    Webhook(created["secret"]).verify(http_target.requests[0].body, http_target.requests[0].headers)


def test_channel_create_email_by_admin(api_client_for, bob, organization) -> None:
    Membership.objects.filter(user=bob).update(role=Membership.Role.ADMIN)
    response = api_client_for(bob).post(
        CHANNELS, {"kind": "email", "name": "team", "target": "team@example.com"}, format="json"
    )
    assert response.status_code == 201
    assert "secret" not in response.json()
    channel = Channel.objects.get(id=response.json()["id"])
    assert channel.organization == organization
    event = AuditEvent.objects.get(action="channel.created", target_id=str(channel.id))
    assert (event.organization, event.actor, event.data) == (organization, bob, {"kind": "email"})


@pytest.mark.parametrize("role", [Membership.Role.MEMBER, Membership.Role.VIEWER])
def test_channel_writes_by_member_or_viewer_are_403(api_client_for, bob, webhook, http_target, role) -> None:
    """Channels are admin business (accounts.roles): a member manages monitors, not channels."""
    Membership.objects.filter(user=bob).update(role=role)
    client = api_client_for(bob)
    before = Channel.objects.filter(id=webhook.id).values().first()
    count = Channel.objects.count()
    url = f"{CHANNELS}{webhook.id}/"
    assert (
        client.post(CHANNELS, {"kind": "email", "name": "t", "target": "t@example.com"}, format="json").status_code
        == 403
    )
    assert client.patch(url, {"name": "renamed"}, format="json").status_code == 403
    assert client.post(f"{url}test/").status_code == 403
    assert client.delete(url).status_code == 403
    assert client.get(url).status_code == 200
    assert Channel.objects.filter(id=webhook.id).values().first() == before
    assert Channel.objects.count() == count
    assert http_target.requests == []


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"kind", "name", "target"}),
        ({"kind": "sms", "name": "x", "target": "x"}, {"kind"}),
        ({"kind": "email", "name": "x", "target": "not-an-address"}, {"target"}),
        ({"kind": "webhook", "name": "x", "target": "ftp://example.com/"}, {"target"}),
        ({"kind": "webhook", "name": "x", "target": "https://h.example.com/", "secret": "hunter2"}, {"secret"}),
        ({"kind": "webhook", "name": "x" * 101, "target": "https://h.example.com/"}, {"name"}),
    ],
)
def test_channel_create_bad_input_is_400_with_field_errors(api_client_for, alice, payload, fields) -> None:
    before = Channel.objects.count()
    response = api_client_for(alice).post(CHANNELS, payload, format="json")
    assert response.status_code == 400
    assert set(response.json()) == fields
    assert Channel.objects.count() == before


@pytest.mark.parametrize("url", ["http://169.254.169.254/", "http://127.0.0.1/"])
def test_ssrf_01_webhook_url_private_or_metadata_is_rejected(settings, api_client_for, alice, url) -> None:
    settings.ALLOW_PRIVATE_TARGETS = False
    response = api_client_for(alice).post(CHANNELS, {"kind": "webhook", "name": "x", "target": url}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"target"}
    assert not Channel.objects.filter(kind="webhook").exists()


def test_ssrf_01_webhook_url_metadata_is_rejected_even_when_private_targets_are_allowed(
    settings, api_client_for, alice
) -> None:
    settings.ALLOW_PRIVATE_TARGETS = True
    payload = {"kind": "webhook", "name": "x", "target": "http://169.254.169.254/latest/meta-data/"}
    assert api_client_for(alice).post(CHANNELS, payload, format="json").status_code == 400


def test_channel_writes_with_a_read_only_key_are_403(alice, organization, webhook) -> None:
    client = _key_client(alice, organization, "read")
    assert client.get(CHANNELS).status_code == 200
    assert client.get(f"{CHANNELS}{webhook.id}/").status_code == 200
    payload = {"kind": "email", "name": "x", "target": "x@example.com"}
    assert client.post(CHANNELS, payload, format="json").status_code == 403
    assert client.patch(f"{CHANNELS}{webhook.id}/", {"name": "y"}, format="json").status_code == 403
    assert client.delete(f"{CHANNELS}{webhook.id}/").status_code == 403
    assert client.post(f"{CHANNELS}{webhook.id}/test/").status_code == 403
    webhook.refresh_from_db()
    assert webhook.name == "ops hook"


def test_channel_create_with_a_read_write_key(alice, organization) -> None:
    client = _key_client(alice, organization, "write")
    payload = {"kind": "email", "name": "x", "target": "x@example.com"}
    assert client.post(CHANNELS, payload, format="json").status_code == 201


# --- detail, update, delete, test -----------------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_channel_detail_owner_and_member(request, api_client_for, webhook, who) -> None:
    response = api_client_for(request.getfixturevalue(who)).get(f"{CHANNELS}{webhook.id}/")
    assert response.status_code == 200
    # WH-08: the owner sees the whole URL; a member, who cannot manage channels, a redacted one.
    expected = webhook.target if who == "alice" else webhook.target.rsplit("/", 1)[0] + "/hook/…"
    assert response.json()["target"] == expected
    assert set(response.json()) == CHANNEL_FIELDS


def test_channel_update_by_admin(api_client_for, bob, webhook) -> None:
    Membership.objects.filter(user=bob).update(role=Membership.Role.ADMIN)
    response = api_client_for(bob).patch(
        f"{CHANNELS}{webhook.id}/", {"name": "renamed", "disabled": True, "target": webhook.target}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["disabled"]) == ("renamed", True)
    webhook.refresh_from_db()
    assert (webhook.name, webhook.disabled) == ("renamed", True)
    event = AuditEvent.objects.get(action="channel.updated", target_id=str(webhook.id))
    # The changed fields by name; an unchanged one (target) is not listed, and no value is.
    assert (event.actor, event.data) == (bob, {"fields": ["disabled", "name"]})


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"kind": "email"}, "kind"), ({"target": "gopher://x/"}, "target"), ({"secret": "whsec_short"}, "secret")],
)
def test_channel_update_bad_input_is_400(api_client_for, alice, webhook, payload, field) -> None:
    response = api_client_for(alice).patch(f"{CHANNELS}{webhook.id}/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    webhook.refresh_from_db()
    assert webhook.kind == "webhook" and webhook.target.endswith("/hook")


def test_channel_delete_by_owner(api_client_for, alice, webhook) -> None:
    assert api_client_for(alice).delete(f"{CHANNELS}{webhook.id}/").status_code == 204
    assert not Channel.objects.filter(id=webhook.id).exists()
    event = AuditEvent.objects.get(action="channel.deleted", target_id=str(webhook.id))
    assert (event.actor, event.target_repr) == (alice, str(webhook))


def test_channel_test_reports_a_failure(api_client_for, alice, webhook, http_target) -> None:
    http_target.set_reply(status=404)
    response = api_client_for(alice).post(f"{CHANNELS}{webhook.id}/test/")
    assert response.status_code == 200
    assert response.json()["ok"] is False and "404" in response.json()["error"]


def test_channel_unknown_method_is_405(api_client_for, alice, webhook) -> None:
    assert api_client_for(alice).put(f"{CHANNELS}{webhook.id}/", {}, format="json").status_code == 405


def test_ten_01_mallory_gets_404_for_alices_channel(api_client_for, mallory, webhook, http_target) -> None:
    client = api_client_for(mallory)
    url = f"{CHANNELS}{webhook.id}/"
    assert client.get(url).status_code == 404
    assert client.patch(url, {"name": "pwned"}, format="json").status_code == 404
    assert client.post(f"{url}test/").status_code == 404
    assert client.delete(url).status_code == 404
    assert client.get(f"{CHANNELS}999999/").status_code == 404
    webhook.refresh_from_db()
    assert webhook.name == "ops hook"
    assert http_target.requests == []
