from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from alerts.models import Channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for():
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def test_channel_list_shows_the_organisations_channels(client_for, bob, webhook) -> None:
    response = client_for(bob).get("/channels/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "alice@example.com" in html and webhook.target in html
    assert webhook.secret not in html
    assert "mallory" not in html


def test_channel_pages_need_a_login(webhook) -> None:
    for response in (Client().get("/channels/"), Client().post(f"/channels/{webhook.id}/delete/")):
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Channel.objects.filter(id=webhook.id).exists()


def test_channel_create_email(client_for, alice, organization) -> None:
    client = client_for(alice)
    assert client.get("/channels/new/").status_code == 200
    response = client.post("/channels/new/", {"kind": "email", "name": "team", "target": "team@example.com"})
    assert response.status_code == 302 and response["Location"] == "/channels/"
    assert Channel.objects.filter(organization=organization, name="team", target="team@example.com").exists()
    assert "Channel “team” added." in client.get("/channels/").content.decode()


def test_channel_create_webhook_shows_the_secret_once(client_for, alice, http_target) -> None:
    client = client_for(alice)
    response = client.post("/channels/new/", {"kind": "webhook", "name": "ops", "target": f"{http_target.url}/h"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    secret = Channel.objects.get(name="ops").secret
    assert secret in response.content.decode()
    assert secret not in client.get("/channels/").content.decode()


def test_channel_create_errors_are_shown_next_to_fields_and_input_kept(client_for, alice) -> None:
    response = client_for(alice).post(
        "/channels/new/", {"kind": "webhook", "name": "my hook", "target": "ftp://example.com/x"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_target_error"' in html
    assert 'value="my hook"' in html and 'value="ftp://example.com/x"' in html
    assert not Channel.objects.filter(name="my hook").exists()


def test_channel_create_missing_fields(client_for, alice) -> None:
    response = client_for(alice).post("/channels/new/", {"kind": "email"})
    assert set(response.context["form"].errors) == {"name", "target"}


def test_channel_delete(client_for, alice, webhook) -> None:
    response = client_for(alice).post(f"/channels/{webhook.id}/delete/")
    assert response.status_code == 302
    assert not Channel.objects.filter(id=webhook.id).exists()


def test_channel_delete_needs_post(client_for, alice, webhook) -> None:
    assert client_for(alice).get(f"/channels/{webhook.id}/delete/").status_code == 405
    assert Channel.objects.filter(id=webhook.id).exists()


def test_channel_send_test_shows_the_outcome(client_for, alice, email_channel, webhook, http_target) -> None:
    client = client_for(alice)
    response = client.post(f"/channels/{email_channel.id}/test/", follow=True)
    assert "Test message sent" in response.content.decode()
    assert len(mail.outbox) == 1
    http_target.set_reply(status=404)
    response = client.post(f"/channels/{webhook.id}/test/", follow=True)
    assert "failed: HTTP 404" in response.content.decode()


def test_ten_01_mallory_gets_404_for_alices_channel_pages(client_for, mallory, webhook, http_target) -> None:
    client = client_for(mallory)
    assert client.post(f"/channels/{webhook.id}/delete/").status_code == 404
    assert client.post(f"/channels/{webhook.id}/test/").status_code == 404
    assert client.get(f"/channels/{webhook.id}/delete/").status_code == 404
    assert Channel.objects.filter(id=webhook.id).exists()
    assert http_target.requests == []


def test_channel_create_telegram_takes_the_chat_id_and_keeps_input_on_error(
    settings, client_for, alice, http_target
) -> None:
    settings.ALERTS_TELEGRAM_API_URL = http_target.url
    token = "123456:" + "A" * 30
    client = client_for(alice)
    bad = client.post("/channels/new/", {"kind": "telegram", "name": "tg", "target": token, "chat_id": "not an id"})
    assert bad.status_code == 200 and "chat id" in bad.content.decode() and token in bad.content.decode()

    client.post("/channels/new/", {"kind": "telegram", "name": "tg", "target": token, "chat_id": "-100200"})
    channel = Channel.objects.get(kind="telegram")
    assert (channel.target, channel.config) == (token, {"chat_id": "-100200"})
